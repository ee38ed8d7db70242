# LOG_FORMAT=json read back from a real compute run and API session (issue: host install).
# Included by tests/integration/CMakeLists.txt.
find_program(URLMON_PYTHON3 python3 REQUIRED)
urlmon_script_test(log_json bash ${CMAKE_CURRENT_SOURCE_DIR}/log_json.sh)
set_tests_properties(log_json PROPERTIES TIMEOUT 180)
