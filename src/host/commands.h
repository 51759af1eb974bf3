/* SPDX-License-Identifier: MIT */
/* The subcommands of the host tool, one file each (cmd_*.c).  Each takes
 * the arguments after its name (argv[0] is the subcommand) and returns the
 * exit status: 0 done, 1 failure, 2 usage or bad settings. */
#ifndef VR_COMMANDS_H
#define VR_COMMANDS_H

#define VR_EXIT_FAILURE 1
#define VR_EXIT_USAGE 2

int vr_cmd_run(int argc, char **argv);
int vr_cmd_stop(int argc, char **argv);
int vr_cmd_top(int argc, char **argv);
int vr_cmd_plot(int argc, char **argv);
int vr_cmd_give(int argc, char **argv);
int vr_cmd_watch(int argc, char **argv);
int vr_cmd_check(int argc, char **argv);

#endif
