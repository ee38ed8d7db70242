# The API's integration tests: python3 (stdlib) against urlmon-api started on a free
# port with the private stack. Included by tests/integration/CMakeLists.txt.
find_program(URLMON_PYTHON3 python3 REQUIRED)
urlmon_script_test(api_stats ${URLMON_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/api_stats.py)
urlmon_script_test(api_bad ${URLMON_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/api_bad.py)
urlmon_script_test(api_deps ${URLMON_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/api_deps.py)
urlmon_script_test(api_flow ${URLMON_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/api_flow.py)
urlmon_script_test(api_local ${URLMON_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/api_local.py)
urlmon_script_test(api_http ${URLMON_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/api_http.py)
urlmon_script_test(api_contract ${URLMON_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/api_contract.py)
urlmon_script_test(api_settings ${URLMON_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/api_settings.py)
# The urlmon command line (cli/) against this API and the stack.
urlmon_script_test(urlmon_cli ${URLMON_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/urlmon_cli.py
    $<TARGET_FILE:urlmon>)

# Windowed counts at chosen instants (both sides of the half hour) against raw checks.
urlmon_itest(test_api_edges)
target_link_libraries(test_api_edges PRIVATE urlmon_api urlmon_compute)

# A benchmark peer (not a test): evhttp + one async hiredis GET per request, used by
# tests/integration/api_bench.sh to separate the API's own overhead from Redis'.
add_executable(api_bench_peer api_bench_peer.c)
target_link_libraries(api_bench_peer PRIVATE PkgConfig::LIBEVENT PkgConfig::LIBEVENT_PTHREADS
    PkgConfig::HIREDIS)
# The cache warm after a compute run (api/warm.h): real runs against urlmon-target.
urlmon_script_test(api_warm ${URLMON_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/api_warm.py)
