// A seccomp-BPF filter for the sandbox (bubblewrap loads it with --seccomp right before running the program).
// Namespaces already isolate; this shrinks the kernel surface a candidate can reach from its unprivileged user
// namespace: no debugging other processes, no keyrings, eBPF, perf, io_uring, userfaultfd, module or mount
// calls, no new namespaces, no memfd, SysV IPC or POSIX message queues, and sockets only of the AF_UNIX family. Denied calls fail with EPERM (the harness
// reports them as `sandbox-denied`) rather than killing the process. x86-64 only; elsewhere there is no filter
// and the namespaces stand alone.

const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;
const SECCOMP_RET_KILL_PROCESS = 0x80000000;
const SECCOMP_RET_ERRNO = 0x00050000;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const EPERM = 1;
const AF_UNIX = 1;

// BPF opcodes
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;

/** x86-64 syscall numbers that candidates never need. */
const DENIED_X86_64: Record<string, number> = {
  ptrace: 101,
  process_vm_readv: 310,
  process_vm_writev: 311,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  bpf: 321,
  perf_event_open: 298,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  kexec_load: 246,
  kexec_file_load: 320,
  init_module: 175,
  finit_module: 313,
  delete_module: 176,
  mount: 165,
  umount2: 166,
  pivot_root: 155,
  unshare: 272,
  setns: 308,
  open_by_handle_at: 304,
  name_to_handle_at: 303,
  personality: 135,
  acct: 163,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  syslog: 103,
  fsopen: 430,
  fsmount: 432,
  move_mount: 429,
  open_tree: 428,
  // Memory the watchdog cannot see, as it reads resident sets: a memfd mapped but never touched, and SysV shared memory
  // kept after detaching, held gigabytes while the run reported 9 MiB.
  memfd_create: 319,
  shmget: 29,
  shmat: 30,
  shmctl: 31,
  // The same for SysV message queues and semaphores and POSIX message queues: kernel memory no resident set shows.
  // Neither runtime can call these, but a native program a Python candidate writes to /sbx/tmp and execs can (the
  // tmpfs cannot be mounted noexec with bubblewrap); it queued 61 MiB of messages while the run reported 2 MiB.
  semget: 64,
  semop: 65,
  semctl: 66,
  semtimedop: 220,
  msgget: 68,
  msgsnd: 69,
  msgrcv: 70,
  msgctl: 71,
  mq_open: 240,
  mq_unlink: 241,
  mq_timedsend: 242,
  mq_timedreceive: 243,
  mq_notify: 244,
  mq_getsetattr: 245,
};
const SOCKET = 41;

/** Offsets in struct seccomp_data. */
const NR = 0;
const ARCH = 4;
const ARG0 = 16;

export function seccompSupported(): boolean {
  return process.platform === 'linux' && process.arch === 'x64';
}

/** The filter as bubblewrap reads it: an array of struct sock_filter {u16 code; u8 jt; u8 jf; u32 k}. */
export function seccompProgram(): Buffer {
  const denied = Object.values(DENIED_X86_64);
  // Instruction indexes, so every jump offset is computed rather than counted by hand.
  const firstDenied = 5;
  const socketCheck = firstDenied + denied.length;
  const allow = socketCheck + 1;
  const argCheck = allow + 1;
  const deny = argCheck + 3;
  const to = (from: number, target: number): number => target - from - 1;
  const program: [number, number, number, number][] = [
    [LD_W_ABS, 0, 0, ARCH],
    [JEQ_K, 1, 0, AUDIT_ARCH_X86_64],
    [RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS], // another ABI (i386, x32 via int 0x80) is refused outright
    [LD_W_ABS, 0, 0, NR],
    [JGE_K, to(4, deny), 0, X32_SYSCALL_BIT],
    ...denied.map((nr, i): [number, number, number, number] => [JEQ_K, to(firstDenied + i, deny), 0, nr]),
    [JEQ_K, to(socketCheck, argCheck), 0, SOCKET],
    [RET_K, 0, 0, SECCOMP_RET_ALLOW],
    [LD_W_ABS, 0, 0, ARG0],
    [JEQ_K, 0, to(argCheck + 1, deny), AF_UNIX],
    [RET_K, 0, 0, SECCOMP_RET_ALLOW],
    [RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM],
  ];
  if (program.length !== deny + 1) throw new Error('seccomp program layout is inconsistent');
  const buffer = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], i) => {
    buffer.writeUInt16LE(code, i * 8);
    buffer.writeUInt8(jt, i * 8 + 2);
    buffer.writeUInt8(jf, i * 8 + 3);
    buffer.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return buffer;
}
