// SPDX-License-Identifier: Apache-2.0
// VM only: the presence button as a real kernel input device. Creates "keycustody-button" through /dev/uinput
// (evdev, BTN_0 like the gpio-key overlay's default) and presses it for every "press MS" line received on TCP
// port 7001, so a test on the host can press the button of a VM the way a person presses the device's.
// The daemon sees an ordinary /dev/input/event* device; nothing in it knows this is a VM.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/uinput.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void emit(int fd, int type, int code, int value)
{
    struct input_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.code = code;
    ev.value = value;
    if (write(fd, &ev, sizeof ev) != (ssize_t)sizeof ev) {
        perror("uinput write");
        exit(1);
    }
}

int main(void)
{
    int fd = open("/dev/uinput", O_WRONLY | O_NONBLOCK);
    if (fd < 0) { perror("/dev/uinput"); return 1; }
    if (ioctl(fd, UI_SET_EVBIT, EV_KEY) < 0 || ioctl(fd, UI_SET_KEYBIT, BTN_0) < 0) { perror("UI_SET"); return 1; }
    struct uinput_setup setup;
    memset(&setup, 0, sizeof setup);
    setup.id.bustype = BUS_VIRTUAL;
    setup.id.vendor = 0x4b43;   // "KC"
    setup.id.product = 0x0001;
    strcpy(setup.name, "keycustody-button");
    if (ioctl(fd, UI_DEV_SETUP, &setup) < 0 || ioctl(fd, UI_DEV_CREATE) < 0) { perror("UI_DEV_CREATE"); return 1; }

    int server = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(7001);
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(server, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(server, 4) < 0) { perror("listen"); return 1; }
    fprintf(stderr, "keycustody-vm-button: input device ready; listening on 7001\n");

    for (;;) {
        int client = accept(server, NULL, NULL);
        if (client < 0) continue;
        char line[64] = {0};
        ssize_t n = read(client, line, sizeof line - 1);
        int ms = 0;
        if (n > 0 && sscanf(line, "press %d", &ms) == 1 && ms > 0 && ms <= 10000) {
            emit(fd, EV_KEY, BTN_0, 1);
            emit(fd, EV_SYN, SYN_REPORT, 0);
            struct timespec hold = { ms / 1000, (long)(ms % 1000) * 1000000L };
            nanosleep(&hold, NULL);
            emit(fd, EV_KEY, BTN_0, 0);
            emit(fd, EV_SYN, SYN_REPORT, 0);
            (void)!write(client, "ok\n", 3);
        } else {
            (void)!write(client, "usage: press MS\n", 16);
        }
        close(client);
    }
}
