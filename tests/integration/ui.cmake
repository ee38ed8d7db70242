# The dashboard and the API docs: HTTP-level checks of the embedded files and the
# dashboard's data routes (python3), and the browser test (headless Debian Chromium
# driven by puppeteer-core from tools/ui). Screenshots go to ${CMAKE_BINARY_DIR}/ui-artifacts.
urlmon_script_test(api_ui ${URLMON_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/api_ui.py)
find_program(URLMON_NODE node REQUIRED)
find_program(URLMON_CHROMIUM chromium PATHS /usr/bin REQUIRED)
urlmon_script_test(ui_browser ${URLMON_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/ui_browser.py)
set_property(TEST ui_browser APPEND PROPERTY ENVIRONMENT
    URLMON_NODE=${URLMON_NODE} URLMON_CHROMIUM=${URLMON_CHROMIUM}
    URLMON_UI_ARTIFACTS=${CMAKE_BINARY_DIR}/ui-artifacts)
