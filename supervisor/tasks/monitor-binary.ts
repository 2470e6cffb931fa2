/** Where the tsrun-monitor executable is (CMakeLists.txt builds it beside the addon). */
import { nativeExecutable } from '../shared/native-executable';

export const monitorBinaryPath = (): string => nativeExecutable('tsrun-monitor');
