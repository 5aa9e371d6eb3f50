#ifndef KH_VERSION_H
#define KH_VERSION_H
#define KEHU_VERSION "0.1.0"
#endif
