/* async_done.c - the completion queue: finished work whose callback waits
 * for msgbus_async_dispatch, and the file descriptor that is readable
 * exactly while the queue is not empty (an eventfd on Linux, else a pipe),
 * so that poll, epoll, libuv or libevent can watch it. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/eventfd.h>
#endif
#include "async_internal.h"

int done_queue_init(done_queue *q)
{
    q->head = q->tail = NULL;
    q->signalled = false;
#if defined(__linux__)
    q->fds[0] = q->fds[1] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->fds[0] < 0)
        return MSGBUS_EIO;
#else
    if (pipe(q->fds) != 0)
        return MSGBUS_EIO;
    for (int i = 0; i < 2; i++) {
        fcntl(q->fds[i], F_SETFL, fcntl(q->fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(q->fds[i], F_SETFD, FD_CLOEXEC);
    }
#endif
    return 0;
}

void done_queue_destroy(done_queue *q)
{
    close(q->fds[0]);
    if (q->fds[1] != q->fds[0])
        close(q->fds[1]);
}

bool done_queue_push(done_queue *q, async_done *done)
{
    bool was_empty = q->head == NULL;
    done->next = NULL;
    if (q->tail)
        q->tail->next = done;
    else
        q->head = done;
    q->tail = done;
    if (!q->signalled) {
        /* One token in the descriptor whatever the queue's length, so a
         * full pipe can never block a worker. */
        uint64_t one = 1;
        ssize_t n;
        do
            n = write(q->fds[1], &one, q->fds[0] == q->fds[1] ? sizeof one : 1);
        while (n < 0 && errno == EINTR);
        q->signalled = true;
    }
    return was_empty;
}

async_done *done_queue_take(done_queue *q)
{
    async_done *all = q->head;
    q->head = q->tail = NULL;
    if (q->signalled) {
        uint64_t drain;
        ssize_t n;
        do
            n = read(q->fds[0], &drain, q->fds[0] == q->fds[1] ? sizeof drain : 1);
        while (n < 0 && errno == EINTR);
        q->signalled = false;
    }
    return all;
}
