# Fault and security tests of the reliability issue (docs/reliability.md): each runs
# against the private stack (the `stack` fixture), urlmon-target and the real binaries,
# and breaks something on purpose (SIGKILLs MariaDB or the job, stops Redis, hostile
# servers, load and slow clients) or hunts for leaks (secrets in output, SQL injection).
# Each is bounded (TIMEOUT 180 s) and stops every process it starts.
# Included by tests/integration/CMakeLists.txt.
find_program(URLMON_PYTHON3 python3 REQUIRED)

set(URLMON_FAULT_SH api_qguard fault_db_kill fault_db_restart fault_spool_full fault_drain_kill fault_redis_down fault_hostile fault_secrets
    fault_security)
set(URLMON_FAULT_PY fault_injection fault_api_soak)
foreach(t ${URLMON_FAULT_SH})
    urlmon_script_test(${t} bash ${CMAKE_CURRENT_SOURCE_DIR}/${t}.sh)
endforeach()
foreach(t ${URLMON_FAULT_PY})
    urlmon_script_test(${t} ${URLMON_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/${t}.py)
endforeach()
set_tests_properties(${URLMON_FAULT_SH} ${URLMON_FAULT_PY} PROPERTIES
    TIMEOUT 180 LABELS "integration;fault")

# A deliberate leak (not part of the product) to prove fault_api_soak can fail:
# FAULT_SOAK_LEAK_BYTES=64 ctest -R fault_api_soak preloads it into urlmon-api and must FAIL.
add_library(soak_leak MODULE soak_leak.c)
target_link_libraries(soak_leak PRIVATE PkgConfig::LIBEVENT ${CMAKE_DL_LIBS})
set_property(TEST fault_api_soak APPEND PROPERTY ENVIRONMENT
    FAULT_SOAK_LEAK_LIB=$<TARGET_FILE:soak_leak>)
