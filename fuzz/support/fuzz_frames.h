/*
 * fuzz_frames.h - how the protocol fuzz targets turn libFuzzer's bytes into
 * a ZeroMQ message: the input is split into frames at each 0xFF byte, so
 * "a\xFFb" is the two frames "a" and "b", "" one empty frame and "\xFF" two.
 * A 0xFF inside a frame cannot be written this way; every other byte can.
 */
#ifndef SCL_FUZZ_FRAMES_H
#define SCL_FUZZ_FRAMES_H

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

/* The message of the frames in data[0..size) (at least one frame); the
 * caller destroys it. Aborts if czmq cannot allocate. */
zmsg_t *scl_fuzz_frames(const uint8_t *data, size_t size);

#endif
