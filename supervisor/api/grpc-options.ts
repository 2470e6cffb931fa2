/**
 * Options every gRPC server and channel of tsrund's takes. Channelz is off: nothing here serves
 * or reads its statistics, and keeping them costs each call trackers, timestamps and trace
 * entries (without it grpc-js takes its lighter stream handler).
 */
export const COMMON_GRPC_OPTIONS = { 'grpc.enable_channelz': 0 } as const;
