#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Register-level check of the rig's emulated 82599 (`ixgbe` QEMU model), run inside the guest.

Moves the PF from ixgbe to pci-pf-stub (no driver touches the device then, and sysfs lets us map a
BAR no driver has claimed), enables 2 VFs, drives the PF's and VF1's BAR0 directly (sysfs resource0
mmap, 32-bit accesses) and checks the rules the model promises (README.md next to this file): EEPROM checksum, link,
semaphores, the mailbox bit rules on both sides (the same as the project's simulator), VF resets
reported as VFLR, the VF interrupt cause/mask/auto-clear/auto-mask rules, PF EICR.

Usage (host, root):  IXGBEVF_VM_NIC=ixgbe scripts/vm/run python3 scripts/vm/qemu/model/check-model.py
Exit 0 when every check passes, 1 otherwise (each failure printed as `FAIL ...`).
"""
import ctypes
import mmap
import os
import subprocess
import sys
import time

# PF BAR0
CTRL, CTRL_EXT, EICR, EICS, EIMS, EIMC = 0x0, 0x18, 0x800, 0x808, 0x880, 0x888
EEC, EERD, SWSM, FWSM, LINKS = 0x10010, 0x10014, 0x10140, 0x10148, 0x42A4
RAH0 = 0x5404
VFLRE0, MBVFICR0, VFLREC0 = 0x600, 0x710, 0x700
PFMAILBOX = lambda vf: 0x4B00 + 4 * vf
PFMBMEM = lambda vf: 0x13000 + 64 * vf
# VF BAR0
VFCTRL, VFLINKS = 0x0, 0x10
VTEICR, VTEICS, VTEIMS, VTEIMC, VTEIAC, VTEIAM, VTIVAR_MISC = 0x100, 0x104, 0x108, 0x10C, 0x110, 0x114, 0x140
VFMBMEM, VFMAILBOX = 0x200, 0x2FC
REQ, ACK, VFU, PFU, PFSTS, PFACK, RSTI, RSTD = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80
STS, PACK, RVFU = 0x1, 0x2, 0x10
MAILBOX_CAUSE = 0x00080000

failures = 0


def check(what, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f"  ({detail})"))
    if not ok:
        failures += 1


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


class Bar:
    def __init__(self, dev, size):
        fd = os.open(f"/sys/bus/pci/devices/{dev}/resource0", os.O_RDWR | os.O_SYNC)
        self.m = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        os.close(fd)

    def r(self, off):
        return ctypes.c_uint32.from_buffer(self.m, off).value

    def w(self, off, val):
        ctypes.c_uint32.from_buffer(self.m, off).value = val & 0xFFFFFFFF


def main():
    env = os.environ
    dev = f"/sys/bus/pci/devices/{env['PF']}"
    write(f"/sys/bus/pci/drivers/ixgbe/unbind", env["PF"])
    subprocess.run(["/sbin/modprobe", "-d", env["IXGBEVF_VM_KROOT"], "pci-pf-stub"], check=True)
    write(f"{dev}/driver_override", "pci-pf-stub")
    write("/sys/bus/pci/drivers_probe", env["PF"])
    write(f"{dev}/sriov_drivers_autoprobe", "0")
    write(f"{dev}/sriov_numvfs", "2")
    time.sleep(0.5)
    # QEMU maps a VF's BARs only with memory decoding on in the VF's own command register.
    write(f"/sys/bus/pci/devices/{env['VF1']}/enable", "1")
    pf, vf = Bar(env["PF"], 128 * 1024), Bar(env["VF1"], 16 * 1024)
    n = 1  # VF1 is VF index 1
    bit = 1 << n

    # --- EEPROM, link, semaphores ---
    words = []
    for a in range(0x40):
        pf.w(EERD, (a << 2) | 1)
        v = pf.r(EERD)
        words.append(v >> 16)
        if not v & 2:
            check(f"EERD word {a:#x} done", False, hex(v))
    check("EEPROM checksum (words 0x00-0x3F sum to 0xBABA)", sum(words) & 0xFFFF == 0xBABA, hex(sum(words) & 0xFFFF))
    eec = pf.r(EEC)
    check("EEC: present, auto-read done, 2K words", eec & 0x300 == 0x300 and (eec >> 11) & 0xF == 5, hex(eec))
    check("LINKS: up, AN complete, 10G", pf.r(LINKS) == 0xF0000000, hex(pf.r(LINKS)))
    check("VFLINKS mirrors LINKS", vf.r(VFLINKS) == pf.r(LINKS), hex(vf.r(VFLINKS)))
    check("FWSM firmware valid", pf.r(FWSM) & 0x8000 != 0, hex(pf.r(FWSM)))
    pf.w(SWSM, 0)
    s1, s2 = pf.r(SWSM), pf.r(SWSM)
    check("SWSM: SMBI free on the first read, taken by it", s1 & 1 == 0 and s2 & 1 == 1, f"{s1:#x} {s2:#x}")
    pf.w(SWSM, 0)

    # --- PF reset and reset done ---
    pf.w(CTRL, pf.r(CTRL) | 0x04000000)
    check("CTRL.RST self-clears", pf.r(CTRL) & 0x04000000 == 0, hex(pf.r(CTRL)))
    check("RAH0 reloaded with AV", pf.r(RAH0) & 0x80000000 != 0, hex(pf.r(RAH0)))
    m1, m2 = vf.r(VFMAILBOX), vf.r(VFMAILBOX)
    check("after CTRL.RST the VF mailbox is exactly RSTI (a level)", m1 == RSTI and m2 == RSTI, f"{m1:#x} {m2:#x}")
    check("CTRL.RST zeroed the mailbox words", all(pf.r(PFMBMEM(n) + 4 * i) == 0 for i in range(16)))
    pf.w(CTRL_EXT, pf.r(CTRL_EXT) | 0x4000)
    m1, m2 = vf.r(VFMAILBOX), vf.r(VFMAILBOX)
    check("PFRSTD: RSTI cleared, RSTD set and read-to-clear", m1 == RSTD and m2 == 0, f"{m1:#x} {m2:#x}")

    # --- lock exclusion ---
    vf.w(VFMAILBOX, VFU)
    check("VFU granted while PFU is clear", vf.r(VFMAILBOX) == VFU, hex(vf.r(VFMAILBOX)))
    pf.w(PFMAILBOX(n), PFU)
    check("PFU refused while VFU is held; PFMAILBOX mirrors VFU", pf.r(PFMAILBOX(n)) == VFU, hex(pf.r(PFMAILBOX(n))))
    vf.w(VFMAILBOX, 0)
    check("a VF write without VFU releases it", vf.r(VFMAILBOX) == 0, hex(vf.r(VFMAILBOX)))
    pf.w(PFMAILBOX(n), PFU)
    check("PFU granted while VFU is clear", pf.r(PFMAILBOX(n)) == PFU, hex(pf.r(PFMAILBOX(n))))
    vf.w(VFMAILBOX, VFU)
    check("VFU refused while PFU is held; VFMAILBOX mirrors PFU", vf.r(VFMAILBOX) == PFU, hex(vf.r(VFMAILBOX)))
    pf.w(PFMAILBOX(n), 0)
    check("a PF write without PFU releases it", pf.r(PFMAILBOX(n)) == 0, hex(pf.r(PFMAILBOX(n))))

    # --- shared words ---
    vf.w(VFMBMEM + 12, 0x12345678)
    pf.w(PFMBMEM(n) + 20, 0xCAFEF00D)
    check("VFMBMEM and PFMBMEM are one buffer",
          pf.r(PFMBMEM(n) + 12) == 0x12345678 and vf.r(VFMBMEM + 20) == 0xCAFEF00D)

    # --- doorbells: VF -> PF ---
    pf.w(MBVFICR0, 0xFFFFFFFF)
    pf.r(EICR)
    vf.w(VFMAILBOX, REQ)
    check("VF REQ sets MBVFICR REQ bit (vf % 16)", pf.r(MBVFICR0) == bit, hex(pf.r(MBVFICR0)))
    check("VF REQ raises the PF mailbox cause in EICR", pf.r(EICS) & MAILBOX_CAUSE != 0, hex(pf.r(EICS)))
    check("REQ is not latched and released VFU", vf.r(VFMAILBOX) == 0, hex(vf.r(VFMAILBOX)))
    pf.w(MBVFICR0, bit)
    check("MBVFICR is write-1-to-clear", pf.r(MBVFICR0) == 0, hex(pf.r(MBVFICR0)))
    vf.w(VFMAILBOX, ACK)
    check("VF ACK sets MBVFICR ACK bit (16 + vf % 16)", pf.r(MBVFICR0) == bit << 16, hex(pf.r(MBVFICR0)))
    pf.w(MBVFICR0, bit << 16)
    e1, e2 = pf.r(EICR), pf.r(EICR)
    check("EICR read returns the mailbox cause and clears it", e1 & MAILBOX_CAUSE and not e2 & MAILBOX_CAUSE, f"{e1:#x} {e2:#x}")

    # --- doorbells: PF -> VF (read-to-clear) ---
    pf.w(PFMAILBOX(n), STS)
    m1, m2 = vf.r(VFMAILBOX), vf.r(VFMAILBOX)
    check("PF STS sets PFSTS, read-to-clear", m1 == PFSTS and m2 == 0, f"{m1:#x} {m2:#x}")
    pf.w(PFMAILBOX(n), PACK)
    m1, m2 = vf.r(VFMAILBOX), vf.r(VFMAILBOX)
    check("PF ACK sets PFACK, read-to-clear", m1 == PFACK and m2 == 0, f"{m1:#x} {m2:#x}")
    check("PF STS/ACK are not latched in PFMAILBOX", pf.r(PFMAILBOX(n)) == 0, hex(pf.r(PFMAILBOX(n))))

    # --- RVFU ---
    vf.w(VFMAILBOX, VFU | REQ)
    held = vf.r(VFMAILBOX) & VFU
    pf.w(PFMAILBOX(n), RVFU)
    check("RVFU clears a held VFU and the VF's MBVFICR bits",
          held and vf.r(VFMAILBOX) & VFU == 0 and pf.r(MBVFICR0) == 0, f"held={held:#x} mbvficr={pf.r(MBVFICR0):#x}")

    # --- VF resets seen by the PF ---
    pf.w(VFLREC0, 0xFF)
    pf.r(EICR)
    vf.w(VFCTRL, 0x04000000)
    check("VFCTRL.RST sets VFLRE (0x600) and VFLREC (0x700) bit vf",
          pf.r(VFLRE0) == bit and pf.r(VFLREC0) == bit, f"{pf.r(VFLRE0):#x} {pf.r(VFLREC0):#x}")
    check("VFCTRL.RST raises the PF mailbox cause", pf.r(EICR) & MAILBOX_CAUSE != 0)
    check("VFCTRL.RST leaves the mailbox bits alone", vf.r(VFMAILBOX) == 0, hex(vf.r(VFMAILBOX)))
    pf.w(VFLREC0, bit)
    check("VFLREC write-1-to-clear", pf.r(VFLRE0) == 0, hex(pf.r(VFLRE0)))
    vf.w(VTIVAR_MISC, 0x82)
    write(f"/sys/bus/pci/devices/{env['VF1']}/reset", "1")
    check("a PCIe FLR of the VF sets VFLRE", pf.r(VFLRE0) == bit, hex(pf.r(VFLRE0)))
    check("the FLR cleared the VF's registers", vf.r(VTIVAR_MISC) == 0, hex(vf.r(VTIVAR_MISC)))
    pf.w(VFLREC0, bit)

    # --- VF interrupt causes (MSI-X itself is not enabled here: only cause/mask state is visible) ---
    vf.r(VTEICR)
    vf.w(VTIVAR_MISC, 0x80 | 2)
    vf.w(VTEIMC, 7)
    pf.w(PFMAILBOX(n), STS)
    c1, c2 = vf.r(VTEICR), vf.r(VTEICR)
    check("masked: the mailbox cause latches on the VTIVAR_MISC vector; VTEICR read-to-clear",
          c1 == 4 and c2 == 0, f"{c1:#x} {c2:#x}")
    vf.r(VFMAILBOX)
    vf.w(VTEIAC, 4)
    vf.w(VTEIAM, 4)
    vf.w(VTEIMS, 4)
    pf.w(PFMAILBOX(n), STS)
    c1, ims = vf.r(VTEICS), vf.r(VTEIMS)
    check("enabled: delivery auto-clears (VTEIAC) and auto-masks (VTEIAM)", c1 == 0 and ims == 0, f"eicr={c1:#x} eims={ims:#x}")
    vf.r(VFMAILBOX)
    vf.w(VTEIAC, 0)
    vf.w(VTEIAM, 0)
    vf.w(VTEICS, 2)
    check("VTEICS raises a cause (masked: stays pending)", vf.r(VTEICS) == 2, hex(vf.r(VTEICS)))
    vf.w(VTEICR, 2)
    check("VTEICR write-1-to-clear", vf.r(VTEICS) == 0, hex(vf.r(VTEICS)))
    vf.w(VTIVAR_MISC, 0)
    pf.w(PFMAILBOX(n), STS)
    check("no VTIVAR_MISC valid bit: no cause, PFSTS still set", vf.r(VTEICS) == 0 and vf.r(VFMAILBOX) == PFSTS)

    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
