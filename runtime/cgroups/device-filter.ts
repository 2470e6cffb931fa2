/**
 * The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program built from the device access
 * the rules resolve to (devices.ts, the same emulation of the v1 controller), with runc's layout:
 * load the request into registers, then one block per exception that returns the exception's
 * verdict when the request matches, and the default verdict at the end. Pure: the instructions
 * come out as the bytes of `struct bpf_insn[]` for the addon to load.
 */
import type { DeviceAccess, DeviceRule } from './devices';

/** struct bpf_cgroup_dev_ctx: u32 access_type (access << 16 | type), u32 major, u32 minor. */
const DEV_BLOCK = 1;
const DEV_CHAR = 2;
const ACC_MKNOD = 1;
const ACC_READ = 2;
const ACC_WRITE = 4;

/** Opcodes (linux/bpf_common.h, linux/bpf.h). */
const OP = {
  ldxW: 0x61, // BPF_LDX | BPF_MEM | BPF_W
  and32Imm: 0x54, // BPF_ALU | BPF_AND | BPF_K
  rsh32Imm: 0x74, // BPF_ALU | BPF_RSH | BPF_K
  mov32Imm: 0xb4, // BPF_ALU | BPF_MOV | BPF_K
  mov32Reg: 0xbc, // BPF_ALU | BPF_MOV | BPF_X
  jneImm: 0x55, // BPF_JMP | BPF_JNE | BPF_K
  jneReg: 0x5d, // BPF_JMP | BPF_JNE | BPF_X
  exit: 0x95, // BPF_JMP | BPF_EXIT
} as const;

export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

/** The license the program is loaded under (runc's). */
export const DEVICE_FILTER_LICENSE = 'Apache';

const insn = (code: number, dst: number, src: number, off: number, imm: number): BpfInsn => ({ code, dst, src, off, imm });

/** "Goto the next block": a jump whose offset is filled in once the block's length is known. */
type Pending = BpfInsn | { jumpToNext: BpfInsn };

function accessBits(access: string): number {
  return (access.includes('r') ? ACC_READ : 0) | (access.includes('w') ? ACC_WRITE : 0) | (access.includes('m') ? ACC_MKNOD : 0);
}

/** runc's emulator lists exceptions sorted by type, major, minor (a wildcard first). */
function compareRules(a: DeviceRule, b: DeviceRule): number {
  return a.type.localeCompare(b.type) || (a.major ?? -1) - (b.major ?? -1) || (a.minor ?? -1) - (b.minor ?? -1);
}

function ruleBlock(rule: DeviceRule): Pending[] {
  const block: Pending[] = [];
  const next = (i: BpfInsn) => block.push({ jumpToNext: i });
  // if (type != rule's type) goto next
  next(insn(OP.jneImm, 2, 0, 0, rule.type === 'c' ? DEV_CHAR : DEV_BLOCK));
  const bits = accessBits(rule.access);
  if (bits !== (ACC_READ | ACC_WRITE | ACC_MKNOD)) {
    // if ((access & bits) != access) goto next: every access asked for must be in the rule
    block.push(insn(OP.mov32Reg, 1, 3, 0, 0), insn(OP.and32Imm, 1, 0, 0, bits));
    next(insn(OP.jneReg, 1, 3, 0, 0));
  }
  // runc compares with the u32 number as a signed 32-bit immediate, as the instruction holds it
  if (rule.major !== null) next(insn(OP.jneImm, 4, 0, 0, rule.major | 0));
  if (rule.minor !== null) next(insn(OP.jneImm, 5, 0, 0, rule.minor | 0));
  block.push(insn(OP.mov32Imm, 0, 0, 0, rule.allow ? 1 : 0), insn(OP.exit, 0, 0, 0, 0));
  return block;
}

/** The program for `access`: its instructions in order. */
export function deviceFilterProgram(access: DeviceAccess): BpfInsn[] {
  const out: BpfInsn[] = [
    insn(OP.ldxW, 2, 1, 0, 0), // R2 = ctx->access_type
    insn(OP.and32Imm, 2, 0, 0, 0xffff), // R2 &= 0xffff: the device type
    insn(OP.ldxW, 3, 1, 0, 0), // R3 = ctx->access_type
    insn(OP.rsh32Imm, 3, 0, 0, 16), // R3 >>= 16: the access asked for
    insn(OP.ldxW, 4, 1, 4, 0), // R4 = ctx->major
    insn(OP.ldxW, 5, 1, 8, 0), // R5 = ctx->minor
  ];
  for (const rule of [...access.exceptions].sort(compareRules)) {
    const block = ruleBlock(rule);
    const end = out.length + block.length;
    for (const p of block) {
      if ('jumpToNext' in p) out.push({ ...p.jumpToNext, off: end - (out.length + 1) });
      else out.push(p);
    }
  }
  out.push(insn(OP.mov32Imm, 0, 0, 0, access.defaultAllow ? 1 : 0), insn(OP.exit, 0, 0, 0, 0));
  return out;
}

/** The bytes of `struct bpf_insn[]` (little-endian, as this runtime's hosts are). */
export function encodeBpf(program: BpfInsn[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((i, n) => {
    buf.writeUInt8(i.code, n * 8);
    buf.writeUInt8((i.src << 4) | i.dst, n * 8 + 1);
    buf.writeInt16LE(i.off, n * 8 + 2);
    buf.writeInt32LE(i.imm, n * 8 + 4);
  });
  return buf;
}

/**
 * Run `program` on one request, as the kernel would (for tests and for checking a program before
 * loading it): 1 allows, 0 denies.
 */
export function runDeviceFilter(program: BpfInsn[], type: 'b' | 'c', major: number, minor: number, access: string): number {
  const reg = new Array<number>(11).fill(0);
  const ctx = [((accessBits(access) << 16) | (type === 'c' ? DEV_CHAR : DEV_BLOCK)) >>> 0, major >>> 0, minor >>> 0];
  const signExtend = (imm: number) => BigInt.asUintN(64, BigInt(imm));
  for (let pc = 0; pc < program.length; pc++) {
    const i = program[pc];
    switch (i.code) {
      case OP.ldxW:
        reg[i.dst] = ctx[i.off / 4];
        break;
      case OP.and32Imm:
        reg[i.dst] = (reg[i.dst] & i.imm) >>> 0;
        break;
      case OP.rsh32Imm:
        reg[i.dst] = reg[i.dst] >>> i.imm;
        break;
      case OP.mov32Imm:
        reg[i.dst] = i.imm >>> 0;
        break;
      case OP.mov32Reg:
        reg[i.dst] = reg[i.src] >>> 0;
        break;
      case OP.jneImm:
        // 64-bit compare of a zero-extended u32 register with a sign-extended immediate
        if (BigInt(reg[i.dst]) !== signExtend(i.imm)) pc += i.off;
        break;
      case OP.jneReg:
        if (reg[i.dst] !== reg[i.src]) pc += i.off;
        break;
      case OP.exit:
        return reg[0];
      default:
        throw new Error(`device filter: unknown opcode 0x${i.code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('device filter: ran off the end of the program');
}
