#include "error_text.h"

#include <errno.h>
#include <string.h>

const char* shim_error_text(int error) {
    switch (error) {
        case EIO: return "Input/output error";
        case ENOMEM: return "Cannot allocate memory";
        case EBUSY: return "Device or resource busy";
        case EXDEV: return "Invalid cross-device link";
        case EMFILE: return "Too many open files";
        case ENAMETOOLONG: return "File name too long";
        case ELOOP: return "Too many levels of symbolic links";
        case EOVERFLOW: return "Value too large for defined data type";
        case ELIBBAD: return "Accessing a corrupted shared library";
        case ETIMEDOUT: return "Connection timed out";
        case EDQUOT: return "Disk quota exceeded";
        case EUCLEAN: return "Structure needs cleaning";
        case ENOTSUP: return "Operation not supported";
        default: return strerror(error);
    }
}
