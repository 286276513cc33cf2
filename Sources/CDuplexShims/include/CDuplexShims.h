#ifndef CDUPLEXSHIMS_H
#define CDUPLEXSHIMS_H
int CDuplexShims_placeholder(void);
#endif
