# Unit test of the dashboard's file serving (api/ui.c, with the embedded files).
add_executable(test_api_ui test_api_ui.c)
target_link_libraries(test_api_ui PRIVATE urlmon_api PkgConfig::CMOCKA)
add_test(NAME test_api_ui COMMAND test_api_ui)
set_tests_properties(test_api_ui PROPERTIES LABELS unit)
