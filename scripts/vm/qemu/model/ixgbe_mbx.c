/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 82599 (ixgbe) for the ixgbevf-vfio test rig: the SR-IOV PF<->VF mailbox, both
 * sides, and the optional mailbox trace file.
 *
 * Bit rules (the same as the project's TypeScript simulator, src/sim/mailbox-hw.ts):
 *  - VF REQ/ACK and PF STS/ACK are doorbells: never latched, they read back 0;
 *  - VF REQ/ACK set the PF's MBVFICR bits (write-1-to-clear) and raise the PF mailbox cause;
 *  - PF STS/ACK set PFSTS/PFACK and raise the VF's mailbox interrupt;
 *  - a VF read of VFMAILBOX clears PFSTS, PFACK and RSTD;
 *  - VFU is granted only while PFU is clear and PFU only while VFU is clear; a write without
 *    the lock bit releases that side's lock; PF RVFU clears VFU and the VF's MBVFICR bits;
 *  - the 16 words are one buffer shared by both sides, not protected by the lock bits;
 *  - a PF reset (CTRL.RST) leaves every VF mailbox at exactly RSTI with the words zeroed;
 *    CTRL_EXT.PFRSTD clears RSTI, sets RSTD and interrupts every VF;
 *  - a VF reset (VFCTRL.RST or FLR) sets VFLRE and raises the PF mailbox cause; it does not
 *    touch the mailbox bits.
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "ixgbe_model.h"

/* ---------------------------------------------------------------------------------------- */
/* trace */

bool ixgbe_trace_open(IxgbePfState *s, Error **errp)
{
    s->trace = NULL;
    if (!s->trace_path || !*s->trace_path) {
        return true;
    }
    s->trace = fopen(s->trace_path, "a");
    if (!s->trace) {
        error_setg_errno(errp, errno, "ixgbe: cannot open mbx-trace file '%s'", s->trace_path);
        return false;
    }
    return true;
}

void ixgbe_trace_close(IxgbePfState *s)
{
    if (s->trace) {
        fclose(s->trace);
        s->trace = NULL;
    }
}

static int64_t ixgbe_trace_now(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static void ixgbe_trace_message(IxgbePfState *s, unsigned vf, const char *dir, const uint32_t *w)
{
    if (!s->trace) {
        return;
    }
    fprintf(s->trace, "t=%" PRId64 " vf=%u %s", ixgbe_trace_now(), vf, dir);
    for (int i = 0; i < IXGBE_MBX_WORDS; i++) {
        fprintf(s->trace, " %08x", w[i]);
    }
    fputc('\n', s->trace);
    fflush(s->trace);
}

static void ixgbe_trace_reg(IxgbePfState *s, unsigned vf, char op, hwaddr off, uint32_t val)
{
    if (!s->trace || !s->trace_regs) {
        return;
    }
    fprintf(s->trace, "t=%" PRId64 " vf=%u reg %c 0x%03" HWADDR_PRIx " 0x%08x\n",
            ixgbe_trace_now(), vf, op, off, val);
    fflush(s->trace);
}

/* Events (only with mbx-trace-regs=on): VF resets seen by the PF, PF reset and reset done. */
static void ixgbe_trace_event(IxgbePfState *s, const char *vf, const char *what)
{
    if (!s->trace || !s->trace_regs) {
        return;
    }
    fprintf(s->trace, "t=%" PRId64 " vf=%s event %s\n", ixgbe_trace_now(), vf, what);
    fflush(s->trace);
}

static void ixgbe_trace_vf_event(IxgbePfState *s, unsigned vf, const char *what)
{
    char n[16];

    snprintf(n, sizeof(n), "%u", vf);
    ixgbe_trace_event(s, n, what);
}

/* ---------------------------------------------------------------------------------------- */
/* resets */

void ixgbe_mbx_pf_reset(IxgbePfState *s)
{
    ixgbe_trace_event(s, "all", "pf-reset");
    for (unsigned vf = 0; vf < IXGBE_MAX_VFS; vf++) {
        memset(&s->mbx[vf], 0, sizeof(s->mbx[vf]));
        s->mbx[vf].rsti = true;
    }
}

void ixgbe_mbx_pf_reset_done(IxgbePfState *s)
{
    ixgbe_trace_event(s, "all", "pf-reset-done");
    for (unsigned vf = 0; vf < IXGBE_MAX_VFS; vf++) {
        s->mbx[vf].rsti = false;
        s->mbx[vf].rstd = true;
        ixgbe_vf_raise_mailbox(s, vf);
    }
}

void ixgbe_mbx_vf_reset_event(IxgbePfState *s, unsigned vf)
{
    if (vf >= IXGBE_MAX_VFS) {
        return;
    }
    ixgbe_trace_vf_event(s, vf, "vflr");
    s->mbx[vf].vflre = true;
    ixgbe_pf_raise_other(s, IXGBE_EICR_MAILBOX);
}

/* ---------------------------------------------------------------------------------------- */
/* PF side */

static uint32_t ixgbe_mbvficr(IxgbePfState *s, unsigned group)
{
    uint32_t v = 0;
    for (unsigned bit = 0; bit < 16; bit++) {
        unsigned vf = group * 16 + bit;
        if (vf >= IXGBE_MAX_VFS) {
            break;
        }
        if (s->mbx[vf].vfreq) {
            v |= 1u << bit;
        }
        if (s->mbx[vf].vfack) {
            v |= 1u << (IXGBE_MBVFICR_ACK_SHIFT + bit);
        }
    }
    return v;
}

static uint32_t ixgbe_vflre(IxgbePfState *s)
{
    uint32_t v = 0;
    for (unsigned vf = 0; vf < IXGBE_MAX_VFS; vf++) {
        if (s->mbx[vf].vflre) {
            v |= 1u << vf;
        }
    }
    return v;
}

bool ixgbe_mbx_pf_read(IxgbePfState *s, hwaddr addr, uint32_t *val)
{
    if (addr >= IXGBE_PFMAILBOX(0) && addr < IXGBE_PFMAILBOX_END) {
        unsigned vf = (addr - IXGBE_PFMAILBOX(0)) / 4;
        *val = 0;
        if (vf < IXGBE_MAX_VFS) {
            *val = (s->mbx[vf].vfu ? IXGBE_PFMAILBOX_VFU : 0) |
                   (s->mbx[vf].pfu ? IXGBE_PFMAILBOX_PFU : 0);
        }
        return true;
    }
    if (addr >= IXGBE_PFMBMEM(0) && addr < IXGBE_PFMBMEM_END) {
        unsigned vf = (addr - IXGBE_PFMBMEM(0)) / 64;
        *val = vf < IXGBE_MAX_VFS ? s->mbx[vf].mem[((addr - IXGBE_PFMBMEM(0)) % 64) / 4] : 0;
        return true;
    }
    if (addr >= IXGBE_MBVFICR(0) && addr < IXGBE_MBVFICR_END) {
        *val = ixgbe_mbvficr(s, (addr - IXGBE_MBVFICR(0)) / 4);
        return true;
    }
    if (addr == IXGBE_VFLRE0 || addr == IXGBE_VFLREC(0)) {
        *val = ixgbe_vflre(s);
        return true;
    }
    if (addr == IXGBE_VFLRE1 || addr == IXGBE_VFLREC(1)) {
        *val = 0;   /* VFs 32..63 do not exist */
        return true;
    }
    return false;
}

static void ixgbe_pf_mailbox_write(IxgbePfState *s, unsigned vf, uint32_t val)
{
    IxgbeMbx *m = &s->mbx[vf];
    bool notify = false;

    if (val & IXGBE_PFMAILBOX_PFU) {
        if (!m->vfu) {
            m->pfu = true;
        }
    } else {
        m->pfu = false;
    }
    if (val & IXGBE_PFMAILBOX_RVFU) {
        m->vfu = false;
        m->vfreq = false;
        m->vfack = false;
    }
    if (val & IXGBE_PFMAILBOX_STS) {
        m->pfsts = true;
        notify = true;
        ixgbe_trace_message(s, vf, "pf2vf", m->mem);
    }
    if (val & IXGBE_PFMAILBOX_ACK) {
        m->pfack = true;
        notify = true;
    }
    if (notify) {
        ixgbe_vf_raise_mailbox(s, vf);
    }
}

bool ixgbe_mbx_pf_write(IxgbePfState *s, hwaddr addr, uint32_t val)
{
    if (addr >= IXGBE_PFMAILBOX(0) && addr < IXGBE_PFMAILBOX_END) {
        unsigned vf = (addr - IXGBE_PFMAILBOX(0)) / 4;
        if (vf < IXGBE_MAX_VFS) {
            ixgbe_pf_mailbox_write(s, vf, val);
        } else {
            qemu_log_mask(LOG_GUEST_ERROR, "ixgbe: PFMAILBOX(%u) written, only %d VFs exist\n",
                          vf, IXGBE_MAX_VFS);
        }
        return true;
    }
    if (addr >= IXGBE_PFMBMEM(0) && addr < IXGBE_PFMBMEM_END) {
        unsigned vf = (addr - IXGBE_PFMBMEM(0)) / 64;
        if (vf < IXGBE_MAX_VFS) {
            s->mbx[vf].mem[((addr - IXGBE_PFMBMEM(0)) % 64) / 4] = val;
        }
        return true;
    }
    if (addr >= IXGBE_MBVFICR(0) && addr < IXGBE_MBVFICR_END) {
        unsigned group = (addr - IXGBE_MBVFICR(0)) / 4;
        for (unsigned bit = 0; bit < 16; bit++) {
            unsigned vf = group * 16 + bit;
            if (vf >= IXGBE_MAX_VFS) {
                break;
            }
            if (val & (1u << bit)) {
                s->mbx[vf].vfreq = false;
            }
            if (val & (1u << (IXGBE_MBVFICR_ACK_SHIFT + bit))) {
                s->mbx[vf].vfack = false;
            }
        }
        return true;
    }
    if (addr == IXGBE_VFLREC(0)) {
        for (unsigned vf = 0; vf < IXGBE_MAX_VFS; vf++) {
            if ((val & (1u << vf)) && s->mbx[vf].vflre) {
                ixgbe_trace_vf_event(s, vf, "vflr-cleared");
                s->mbx[vf].vflre = false;
            }
        }
        return true;
    }
    if (addr == IXGBE_VFLRE0 || addr == IXGBE_VFLRE1 || addr == IXGBE_VFLREC(1)) {
        return true;    /* read-only, or VFs that do not exist */
    }
    return false;
}

/* ---------------------------------------------------------------------------------------- */
/* VF side (VFMAILBOX and VFMBMEM in the VF's BAR0) */

uint32_t ixgbe_mbx_vf_read(IxgbePfState *s, unsigned vf, hwaddr addr)
{
    IxgbeMbx *m = &s->mbx[vf];
    uint32_t val;

    if (addr == IXGBE_VFMAILBOX) {
        val = (m->vfu ? IXGBE_VFMAILBOX_VFU : 0) |
              (m->pfu ? IXGBE_VFMAILBOX_PFU : 0) |
              (m->pfsts ? IXGBE_VFMAILBOX_PFSTS : 0) |
              (m->pfack ? IXGBE_VFMAILBOX_PFACK : 0) |
              (m->rsti ? IXGBE_VFMAILBOX_RSTI : 0) |
              (m->rstd ? IXGBE_VFMAILBOX_RSTD : 0);
        m->pfsts = false;
        m->pfack = false;
        m->rstd = false;
    } else {
        val = m->mem[(addr - IXGBE_VFMBMEM) / 4];
    }
    ixgbe_trace_reg(s, vf, 'r', addr, val);
    return val;
}

void ixgbe_mbx_vf_write(IxgbePfState *s, unsigned vf, hwaddr addr, uint32_t val)
{
    IxgbeMbx *m = &s->mbx[vf];
    bool doorbell = false;

    ixgbe_trace_reg(s, vf, 'w', addr, val);
    if (addr != IXGBE_VFMAILBOX) {
        m->mem[(addr - IXGBE_VFMBMEM) / 4] = val;
        return;
    }
    if (val & IXGBE_VFMAILBOX_VFU) {
        if (!m->pfu) {
            m->vfu = true;
        }
    } else {
        m->vfu = false;
    }
    if (val & IXGBE_VFMAILBOX_REQ) {
        m->vfreq = true;
        doorbell = true;
        ixgbe_trace_message(s, vf, "vf2pf", m->mem);
    }
    if (val & IXGBE_VFMAILBOX_ACK) {
        m->vfack = true;
        doorbell = true;
    }
    if (doorbell) {
        ixgbe_pf_raise_other(s, IXGBE_EICR_MAILBOX);
    }
}
