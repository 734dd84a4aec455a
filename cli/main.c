/* main.c - placeholder entry point; the command table follows. */
#include <stdio.h>
int main(void)
{
	puts("sluice");
	return 0;
}
