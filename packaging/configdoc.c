/* packaging/configdoc.c: prints the configuration table as an environment file or as the
 * README's Markdown table, so neither is ever written by hand (build-time tool only).
 *
 *   urlmon-configdoc env        # share/urlmon/urlmon.env.example, /etc/urlmon/urlmon.env
 *   urlmon-configdoc markdown   # the table under "## Configuration" in README.md */
#include <stdio.h>
#include <string.h>

#include "config.h"

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "env") == 0) {
        config_print_env_example(stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (argc == 2 && strcmp(argv[1], "markdown") == 0) {
        config_print_markdown(stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    fprintf(stderr, "usage: urlmon-configdoc env|markdown\n");
    return 2;
}
