#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	printf("hello, %s\n", "world");
	exit(3);
}
