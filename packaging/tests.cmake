# Tests of the install rules and generated documents (no servers needed).
# Included by tests/CMakeLists.txt. The .deb install/upgrade/purge test needs root and,
# on its first run, the network: scripts/deb-test.sh (not part of ctest).
if(NOT URLMON_MAN)
    message(FATAL_ERROR "the tests check the installed man pages: build them with URLMON_MAN=ON")
endif()
add_test(NAME install_tree
    COMMAND bash ${PROJECT_SOURCE_DIR}/packaging/install-test.sh ${CMAKE_BINARY_DIR})
add_test(NAME readme_config_table
    COMMAND bash ${PROJECT_SOURCE_DIR}/packaging/readme-table-check.sh
            $<TARGET_FILE:urlmon-configdoc> ${PROJECT_SOURCE_DIR}/README.md)
set_tests_properties(install_tree readme_config_table PROPERTIES LABELS packaging TIMEOUT 120)
