# Unit tests of the check engine's pure modules (compute/ssrf.c, compute/classify.c).
function(urlmon_engine_unit name)
    add_executable(${name} ${name}.c)
    target_link_libraries(${name} PRIVATE urlmon_compute PkgConfig::CMOCKA)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS unit)
endfunction()

urlmon_engine_unit(test_ssrf)
urlmon_engine_unit(test_classify)
