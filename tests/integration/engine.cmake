# Integration tests of the check engine against urlmon-target (started by the tests on
# free loopback ports); no database, so no stack fixture.
function(urlmon_engine_itest name)
    add_executable(${name} ${name}.c test_engine_util.c)
    target_link_libraries(${name} PRIVATE urlmon_compute PkgConfig::CMOCKA)
    if(TARGET urlmon-target)
        add_dependencies(${name} urlmon-target)
    endif()
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "${URLMON_TEST_ENV}"
        LABELS "integration;engine" TIMEOUT 300)
endfunction()

urlmon_engine_itest(test_engine)
urlmon_engine_itest(test_engine_memory)
urlmon_engine_itest(test_engine_dns)
urlmon_engine_itest(test_engine_tls)
target_link_libraries(test_engine_dns PRIVATE ${CMAKE_DL_LIBS})
