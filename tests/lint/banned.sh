#!/bin/sh
# Functions Kehu does not call, each with a safer form that carries a length or
# reports errors (as git's banned.h): strcpy/strcat -> kh_buf or snprintf,
# sprintf -> snprintf, atoi/atol -> strtol with checks, strtok -> strtok_r,
# gmtime/localtime/ctime/asctime -> kh_time_format (thread-safe, one clock).
hits=$(grep -rnE '\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok|asctime|ctime|gmtime|localtime)\s*\(' \
	src tests/unit --include='*.c' --include='*.h')
if [ -n "$hits" ]; then
	echo "banned functions used:"
	echo "$hits"
	exit 1
fi
echo "no banned functions"
