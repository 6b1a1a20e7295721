/* Children stay inside: a program that clears or rewrites its environment before exec (env -i, a
 * daemon's sanitised environment) would start its child without the preload and without the way
 * to windsock. execve/execvpe/posix_spawn* get our variables added to the environment they pass, and
 * execv/execvp (which pass environ) get them put back into environ first. The values are the ones
 * this process started with. execl/execlp/execle (variadic) are not hooked. */
#include "preload.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static const char *const names[] = { "WINDSOCK_RUN_SOCKET", "WINDSOCK_RUN_MAPPED4", "WINDSOCK_RUN_MAPPED6" };
#define NAME_COUNT (sizeof names / sizeof names[0])

static char saved[NAME_COUNT][512];
static char preload[512];
static int captured;

static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_execv)(const char *, char *const[]);
static int (*real_execvp)(const char *, char *const[]);
static int (*real_posix_spawn)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *, char *const[], char *const[]);
static int (*real_posix_spawnp)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *, char *const[], char *const[]);

#include <dlfcn.h>
#define WS_NEXT(variable, name) (*(void **)(&variable) = dlsym(RTLD_NEXT, name))

/* Called once from ws_init, while the environment is still the one windsock gave. */
void ws_exec_capture(void)
{
    WS_NEXT(real_execve, "execve");
    WS_NEXT(real_execvpe, "execvpe");
    WS_NEXT(real_execv, "execv");
    WS_NEXT(real_execvp, "execvp");
    WS_NEXT(real_posix_spawn, "posix_spawn");
    WS_NEXT(real_posix_spawnp, "posix_spawnp");
    for (size_t i = 0; i < NAME_COUNT; i++) {
        const char *value = getenv(names[i]);
        if (value != NULL && strlen(value) < sizeof saved[i])
            strcpy(saved[i], value);
    }
    /* Our own entry of LD_PRELOAD: the word naming this library. */
    const char *list = getenv("LD_PRELOAD");
    if (list != NULL) {
        const char *at = strstr(list, "libwindsock-preload.so");
        if (at != NULL) {
            const char *start = at;
            while (start > list && start[-1] != ' ' && start[-1] != ':')
                start--;
            size_t length = (size_t)(at - start) + strlen("libwindsock-preload.so");
            if (length < sizeof preload) {
                memcpy(preload, start, length);
                preload[length] = '\0';
            }
        }
    }
    captured = saved[0][0] != '\0' && preload[0] != '\0';
}

static const char *find(char *const *environment, const char *name)
{
    size_t length = strlen(name);
    for (char *const *e = environment; e != NULL && *e != NULL; e++)
        if (strncmp(*e, name, length) == 0 && (*e)[length] == '=')
            return *e + length + 1;
    return NULL;
}

/* environment plus whatever of ours it lacks, in memory that lives until exec (or is leaked on
 * posix_spawn's return: a few hundred bytes per spawn, never in a loop that matters). */
static char **completed(char *const *environment)
{
    size_t count = 0;
    while (environment != NULL && environment[count] != NULL)
        count++;
    char **result = calloc(count + NAME_COUNT + 2, sizeof *result);
    if (result == NULL)
        return (char **)environment;
    size_t n = 0;
    const char *list = find(environment, "LD_PRELOAD");
    for (size_t i = 0; i < count; i++)
        if (strncmp(environment[i], "LD_PRELOAD=", 11) != 0)
            result[n++] = environment[i];
    if (list == NULL || strstr(list, "libwindsock-preload.so") == NULL) {
        size_t size = strlen(preload) + (list ? strlen(list) : 0) + 16;
        char *entry = malloc(size);
        if (entry != NULL) {
            snprintf(entry, size, "LD_PRELOAD=%s%s%s", preload, list ? " " : "", list ? list : "");
            result[n++] = entry;
        }
    } else {
        result[n++] = (char *)list - 11;
    }
    for (size_t i = 0; i < NAME_COUNT; i++) {
        if (saved[i][0] != '\0' && find(environment, names[i]) == NULL) {
            size_t size = strlen(names[i]) + strlen(saved[i]) + 2;
            char *entry = malloc(size);
            if (entry != NULL) {
                snprintf(entry, size, "%s=%s", names[i], saved[i]);
                result[n++] = entry;
            }
        }
    }
    result[n] = NULL;
    return result;
}

WS_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    ws_init();
    return real_execve(path, argv, captured ? completed(envp) : envp);
}

WS_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    ws_init();
    return real_execvpe(file, argv, captured ? completed(envp) : envp);
}

WS_EXPORT int execv(const char *path, char *const argv[])
{
    ws_init();
    return captured ? real_execve(path, argv, completed(environ)) : real_execv(path, argv);
}

WS_EXPORT int execvp(const char *file, char *const argv[])
{
    ws_init();
    return captured ? real_execvpe(file, argv, completed(environ)) : real_execvp(file, argv);
}

WS_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attributes, char *const argv[], char *const envp[])
{
    ws_init();
    return real_posix_spawn(pid, path, actions, attributes, argv, captured ? completed(envp) : envp);
}

WS_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attributes, char *const argv[], char *const envp[])
{
    ws_init();
    return real_posix_spawnp(pid, file, actions, attributes, argv, captured ? completed(envp) : envp);
}
