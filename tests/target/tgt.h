/* tgt.h: small definitions shared by the urlmon-target modules. */
#ifndef TGT_H
#define TGT_H

#define TGT_MUSTCHECK __attribute__((warn_unused_result))
#define TGT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* What a listening socket does with the connections it accepts. */
enum tgt_mode {
    TGT_MODE_HTTP,      /* answer HTTP requests, behaviour taken from the query */
    TGT_MODE_BLACKHOLE, /* accept, then never read nor write */
    TGT_MODE_GARBAGE,   /* write random bytes at once, then close */
};

#endif
