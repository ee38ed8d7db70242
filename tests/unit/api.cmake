# Unit tests of the API's pure modules (api/route.c, window.c, ptrmap.c, flight.c,
# metrics.c, lcache.c, cors.c). Included by tests/unit/CMakeLists.txt.
foreach(t test_api_route test_api_window test_api_ptrmap test_api_metrics test_api_lcache
    test_api_cors)
    add_executable(${t} ${t}.c)
    target_link_libraries(${t} PRIVATE urlmon_api_core PkgConfig::CMOCKA)
    add_test(NAME ${t} COMMAND ${t})
    set_tests_properties(${t} PROPERTIES LABELS unit)
endforeach()
