/* What an error-stream detector (ddm.h, page_hinkley.h) says after each joined pair. */
#ifndef DW_DRIFT_DETECTOR_H
#define DW_DRIFT_DETECTOR_H

enum detector_signal {
    DETECTOR_NONE,    /* nothing to report */
    DETECTOR_WARNING, /* the error level is rising (DDM only) */
    DETECTOR_DRIFT,   /* concept drift: the detector has reset and starts over with the next pair */
};

#endif
