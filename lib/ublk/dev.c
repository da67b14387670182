// SPDX-License-Identifier: MIT
/* A device's data plane handle: its info and its /dev/ublkcN. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* devtmpfs creates the node at ADD_DEV; udev may still be fixing it up. */
#define CDEV_WAIT_MS 3000
#define CDEV_POLL_MS 10

static int open_cdev(uint32_t id)
{
	char path[32];
	int waited, fd;

	snprintf(path, sizeof(path), "/dev/ublkc%u", id);
	for (waited = 0;; waited += CDEV_POLL_MS) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if ((errno != ENOENT && errno != EACCES) || waited >= CDEV_WAIT_MS)
			return -errno;
		ublk_sleep_ms(CDEV_POLL_MS);
	}
}

/* What each queue tells ublk_ctrl_stop(), on cache lines of their own. */
static struct ublk_queue_activity *activity_alloc(uint16_t nr_queues)
{
	size_t size = nr_queues * sizeof(struct ublk_queue_activity);
	struct ublk_queue_activity *activity = aligned_alloc(sizeof(*activity), size);

	if (activity)
		memset(activity, 0, size);
	return activity;
}

UBLK_EXPORT int ublk_dev_open(struct ublk_ctrl *ctrl, uint32_t id,
			      struct ublk_dev **devp)
{
	struct ublk_dev_info info;
	struct ublk_dev *dev;
	int ret;

	ret = ublk_ctrl_get_info(ctrl, id, &info);
	if (ret < 0)
		return ret;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->activity = activity_alloc(info.nr_queues);
	ret = dev->activity ? open_cdev(id) : -ENOMEM;
	if (ret < 0) {
		free(dev->activity);
		free(dev);
		return ret;
	}
	dev->ctrl = ctrl;
	dev->info = info;
	dev->cdev_fd = ret;
	/* Known to the handle from now on: ublk_ctrl_stop() finds it there. */
	pthread_mutex_lock(&ctrl->lock);
	dev->next = ctrl->devs;
	ctrl->devs = dev;
	pthread_mutex_unlock(&ctrl->lock);
	*devp = dev;
	return 0;
}

UBLK_EXPORT void ublk_dev_close(struct ublk_dev *dev)
{
	if (!dev)
		return;
	pthread_mutex_lock(&dev->ctrl->lock);
	for (struct ublk_dev **p = &dev->ctrl->devs; *p; p = &(*p)->next) {
		if (*p == dev) {
			*p = dev->next;
			break;
		}
	}
	pthread_mutex_unlock(&dev->ctrl->lock);
	close(dev->cdev_fd);
	free(dev->activity);
	free(dev);
}

UBLK_EXPORT const struct ublk_dev_info *ublk_dev_get_info(const struct ublk_dev *dev)
{
	return &dev->info;
}

bool ublk_dev_mark_stopping(struct ublk_ctrl *ctrl, uint32_t id)
{
	bool found = false;

	pthread_mutex_lock(&ctrl->lock);
	for (struct ublk_dev *dev = ctrl->devs; dev; dev = dev->next) {
		if (dev->info.id == id) {
			atomic_store_explicit(&dev->stopping, true, memory_order_relaxed);
			found = true;
		}
	}
	pthread_mutex_unlock(&ctrl->lock);
	return found;
}

long long ublk_dev_last_request_ms(struct ublk_ctrl *ctrl, uint32_t id)
{
	long long last = 0;

	pthread_mutex_lock(&ctrl->lock);
	for (struct ublk_dev *dev = ctrl->devs; dev; dev = dev->next) {
		if (dev->info.id != id)
			continue;
		for (uint16_t i = 0; i < dev->info.nr_queues; i++) {
			long long t = atomic_load_explicit(&dev->activity[i].last_request_ms,
							   memory_order_relaxed);

			if (t > last)
				last = t;
		}
	}
	pthread_mutex_unlock(&ctrl->lock);
	return last;
}
