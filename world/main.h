/* `vstress world`: the stand-in server process. */
#ifndef VSTRESS_WORLD_MAIN_H
#define VSTRESS_WORLD_MAIN_H

/* Options: --plugin-dir DIR, --config FILE|DIR (repeatable), --port-base N
 * (0 = ephemeral ports), --urls-file PATH (.json, else KEY=VALUE lines),
 * --only a,b, --seed N, --pg-upstream HOST:PORT, -v.  Serves on 127.0.0.1
 * until SIGINT/SIGTERM.  Returns the process exit code. */
int vs_world_main(int argc, char **argv);

#endif
