/* bench_params - customizer parsing over OpenSCAD's example corpus
 * (every .scad under /usr/share/openscad/examples), sources read into
 * memory first. Baseline in the same run: one pass over the same bytes
 * counting newlines, the least any parser must do. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "fileio.h"
#include "params.h"

typedef struct src {
    char *text;
    size_t len;
} src;

static src files[4096];
static size_t nfiles;

static void walk(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) && nfiles < 4096) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n = strlen(e->d_name);
        if (n > 5 && !strcmp(e->d_name + n - 5, ".scad")) {
            uint8_t *text = NULL;
            if (scl_file_read(path, (size_t)1 << 26, &text, &files[nfiles].len, NULL) != SCL_OK)
                continue;
            files[nfiles].text = (char *)text;
            nfiles++;
        } else if (e->d_type == DT_DIR) {
            walk(path);
        }
    }
    closedir(d);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(void)
{
    walk("/usr/share/openscad/examples");
    if (!nfiles) {
        fprintf(stderr, "bench_params: no corpus\n");
        return 1;
    }
    enum { ROUNDS = 50 };
    size_t bytes = 0;
    for (size_t i = 0; i < nfiles; i++)
        bytes += files[i].len;
    double t0 = now_ms();
    for (int r = 0; r < ROUNDS; r++)
        for (size_t i = 0; i < nfiles; i++) {
            json_t *out = NULL;
            if (scl_params_parse(files[i].text, files[i].len, "t", &out, NULL) == SCL_OK)
                json_decref(out);
        }
    double parse_ms = (now_ms() - t0) / ROUNDS;
    volatile size_t lines = 0;
    t0 = now_ms();
    for (int r = 0; r < ROUNDS; r++)
        for (size_t i = 0; i < nfiles; i++)
            for (size_t k = 0; k < files[i].len; k++)
                lines += files[i].text[k] == '\n';
    double scan_ms = (now_ms() - t0) / ROUNDS;
    printf("params: %zu example files, %zu KiB, mean of %d rounds\n", nfiles, bytes / 1024, ROUNDS);
    printf("  %-40s %10.3f ms per corpus\n", "scl_params_parse (native)", parse_ms);
    printf("  %-40s %10.3f ms per corpus\n", "baseline: count newlines", scan_ms);
    printf("  %-40s %10.1f x\n", "ratio parse / newline scan", parse_ms / scan_ms);
    printf("RESULT native_params_ms=%.4f files=%zu\n", parse_ms, nfiles);
    return 0;
}
