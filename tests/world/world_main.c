/* Test-only entry point until `vstress world` is wired into core/main.c. */
#include "world_main.h"

int main(int argc, char **argv)
{
	return vs_world_main(argc, argv);
}
