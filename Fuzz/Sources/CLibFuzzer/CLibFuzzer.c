// Empty: this target only declares libFuzzer's driver (include/CLibFuzzer.h).
