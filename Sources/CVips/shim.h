#ifndef TRELLIS_CVIPS_SHIM_H
#define TRELLIS_CVIPS_SHIM_H
#include <vips/vips.h>
#include <vips/vector.h>

/* libvips takes its options as C varargs, which Swift cannot call. These wrappers fix the
   options Trellis uses and are the only libvips calls with options. */

/* The image in `buffer`, decoded lazily: only its header is read until pixels are asked for.
   NULL on failure, with the reason in vips_error_buffer(). */
static inline VipsImage *trellis_vips_open(const void *buffer, size_t length) {
    return vips_image_new_from_buffer(buffer, length, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
}

/* A thumbnail of the image in `buffer` that fits in width x height (crop = 0) or fills it and
   is cut to it around the centre (crop = 1), never larger than the original. All frames of an
   animation when all_pages = 1, else the first. NULL on failure. */
static inline VipsImage *trellis_vips_thumbnail(const void *buffer, size_t length, int width, int height,
                                                int crop, int all_pages) {
    VipsImage *out = NULL;
    int failed = vips_thumbnail_buffer((void *)buffer, length, &out, width,
                                       "height", height,
                                       "size", VIPS_SIZE_DOWN,
                                       "crop", crop ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE,
                                       "option_string", all_pages ? "n=-1" : "",
                                       NULL);
    return failed ? NULL : out;
}

/* Encodes `image` in the format of `suffix` (e.g. ".jpg[Q=80,strip]"); the caller g_free()s
   *buffer. 0 on success. */
static inline int trellis_vips_encode(VipsImage *image, const char *suffix, void **buffer, size_t *length) {
    return vips_image_write_to_buffer(image, suffix, buffer, length, NULL);
}
#endif
