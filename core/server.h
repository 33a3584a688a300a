/* `coffer server`: flags, configuration, plugins, core and listeners. */
#ifndef CF_SERVER_H
#define CF_SERVER_H

/* argv[0] is "server". Returns the process exit code. */
int cf_server_main(int argc, char **argv);

#endif
