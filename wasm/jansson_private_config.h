/* jansson_private_config.h for the Emscripten build (Emscripten's libc). */
#define HAVE_STDINT_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_UNISTD_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_FCNTL_H 1
#define HAVE_LOCALE_H 1
#define HAVE_SETLOCALE 1
#define HAVE_STRTOLL 1
#define HAVE_GETTIMEOFDAY 1
#define HAVE_GETPID 1
#define INITIAL_HASHTABLE_ORDER 3
