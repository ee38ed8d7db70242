# Integration tests of alerting (docs/alerting.md): a real Prometheus Alertmanager
# started on loopback by its own fixture (scripts/alertmanager.sh), beside the stack.
math(EXPR URLMON_TEST_AM_PORT "20000 + ${URLMON_TEST_REDIS_PORT} % 10000 + 45")
set(URLMON_ALERT_ENV ${URLMON_TEST_ENV} URLMON_AM_PORT=${URLMON_TEST_AM_PORT})
add_test(NAME alertmanager_start COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/alertmanager.sh start)
add_test(NAME alertmanager_stop COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/alertmanager.sh stop)
set_tests_properties(alertmanager_start PROPERTIES FIXTURES_SETUP alertmanager)
set_tests_properties(alertmanager_stop PROPERTIES FIXTURES_CLEANUP alertmanager)
set_tests_properties(alertmanager_start alertmanager_stop PROPERTIES
    ENVIRONMENT "${URLMON_ALERT_ENV}" LABELS integration)

foreach(t alert_flow alert_cert alert_hang alert_replay)
    urlmon_script_test(${t} bash ${CMAKE_CURRENT_SOURCE_DIR}/${t}.sh)
    set_tests_properties(${t} PROPERTIES FIXTURES_REQUIRED "stack;alertmanager"
        ENVIRONMENT "${URLMON_ALERT_ENV}")
endforeach()
