/** The version of tsrun, tsrund and tsctl: they are built and released together. */
export const TSRUN_VERSION = '0.1.0';
