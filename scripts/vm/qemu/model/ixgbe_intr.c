/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 82599 (ixgbe) for the ixgbevf-vfio test rig: the PF's interrupt causes and masks
 * (EICR/EICS/EIMS/EIMC and their _EX forms, IVAR routing, auto-clear/auto-mask, MSI-X delivery) and
 * the minimal transmit path shared with the VF (descriptors marked done, frames dropped).
 *
 * Copyright (c) 2026 the ixgbevf-vfio authors. Written for QEMU 10.0.
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/msix.h"
#include "ixgbe_model.h"

#define REG(s, off) ((s)->regs[(off) / 4])

/* ---------------------------------------------------------------------------------------- */
/* interrupts (MSI-X only) */

static void ixgbe_pf_notify(IxgbePfState *s, unsigned vector)
{
    PCIDevice *d = PCI_DEVICE(s);
    if (vector < IXGBE_PF_MSIX_VECTORS && msix_enabled(d)) {
        msix_notify(d, vector);
    }
}

/* Deliver queue vector v: auto-mask (EIAM_EX, with GPIE.EIAME) and auto-clear, then MSI-X. */
static void ixgbe_pf_deliver_vector(IxgbePfState *s, unsigned v)
{
    unsigned i = v / 32;
    uint32_t bit = 1u << (v % 32);

    if ((REG(s, IXGBE_GPIE) & IXGBE_GPIE_EIAME) && (REG(s, IXGBE_EIAM_EX(i)) & bit)) {
        s->eims_vec[i] &= ~bit;
    }
    /* Queue causes always auto-clear: ixgbe sets EIAC for them and never clears them itself. */
    s->eicr_vec[i] &= ~bit;
    ixgbe_pf_notify(s, v);
}

static void ixgbe_pf_raise_vector(IxgbePfState *s, unsigned v)
{
    unsigned i = v / 32;
    uint32_t bit = 1u << (v % 32);

    if (v >= IXGBE_PF_MSIX_VECTORS) {
        return;
    }
    s->eicr_vec[i] |= bit;
    if (s->eims_vec[i] & bit) {
        ixgbe_pf_deliver_vector(s, v);
    }
}

/* Deliver pending vector causes among those an EIMS/EIMS_EX write has just (re-)enabled. */
static void ixgbe_pf_deliver_unmasked(IxgbePfState *s, unsigned i, uint32_t newly)
{
    uint32_t pending = s->eicr_vec[i] & s->eims_vec[i] & newly;
    for (unsigned b = 0; pending && b < 32; b++) {
        if (pending & (1u << b)) {
            ixgbe_pf_deliver_vector(s, i * 32 + b);
        }
    }
}

/* The "other" causes (EICR 31:16) share one vector, chosen by IVAR_MISC bits 15:8. */
static void ixgbe_pf_deliver_other(IxgbePfState *s, uint32_t causes)
{
    uint32_t entry = (REG(s, IXGBE_IVAR_MISC) >> 8) & 0xFF;

    if (!(entry & IXGBE_IVAR_VALID)) {
        return;     /* no vector allocated: the cause stays latched in EICR */
    }
    if (REG(s, IXGBE_GPIE) & IXGBE_GPIE_EIAME) {
        s->eims_other &= ~(causes & REG(s, IXGBE_EIAM));
    }
    s->eicr_other &= ~(causes & REG(s, IXGBE_EIAC) & ~IXGBE_EICR_QUEUES);
    ixgbe_pf_notify(s, entry & 0x3F);
}

void ixgbe_pf_raise_other(IxgbePfState *s, uint32_t causes)
{
    causes &= ~IXGBE_EICR_QUEUES;
    s->eicr_other |= causes;
    if (s->eicr_other & s->eims_other & causes) {
        ixgbe_pf_deliver_other(s, s->eicr_other & s->eims_other & causes);
    }
}

static uint32_t ixgbe_pf_eicr(IxgbePfState *s)
{
    return (s->eicr_vec[0] & IXGBE_EICR_QUEUES) | s->eicr_other;
}

/* An EIMS write (re-)enables causes: any of them still pending in EICR is delivered now. */
static void ixgbe_pf_eims_set(IxgbePfState *s, uint32_t val)
{
    uint32_t other = val & ~IXGBE_EICR_QUEUES;

    s->eims_vec[0] |= val & IXGBE_EICR_QUEUES;
    ixgbe_pf_deliver_unmasked(s, 0, val & IXGBE_EICR_QUEUES);
    s->eims_other |= other;
    if (s->eicr_other & other) {
        ixgbe_pf_deliver_other(s, s->eicr_other & other);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* transmit: mark descriptors done, drop the frames */

/*
 * Walks a ring from TDH to TDT, sets DD in each descriptor's status dword (byte 12: the same
 * place in the legacy and the advanced write-back format), advances TDH and writes the head
 * back if TDWBAL enables it. q points at the queue's 0x40-byte register block.
 * Returns true if at least one descriptor was completed.
 */
bool ixgbe_tx_ring_run(PCIDevice *dev, uint32_t *q, const char *who, unsigned index)
{
    uint64_t base = ((uint64_t)q[IXGBE_TXQ_TDBAH / 4] << 32) | (q[IXGBE_TXQ_TDBAL / 4] & ~0xFu);
    uint32_t count = (q[IXGBE_TXQ_TDLEN / 4] & IXGBE_TDLEN_MASK) / IXGBE_TXD_SIZE;
    uint32_t head = q[IXGBE_TXQ_TDH / 4];
    uint32_t tail = q[IXGBE_TXQ_TDT / 4];
    bool done = false;

    if (!(q[IXGBE_TXQ_TXDCTL / 4] & IXGBE_TXDCTL_ENABLE) || count == 0) {
        return false;
    }
    if (head >= count || tail >= count) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: TX queue %u: head %u / tail %u outside a ring of %u\n",
                      who, index, head, tail, count);
        return false;
    }
    while (head != tail) {
        dma_addr_t at = base + (uint64_t)head * IXGBE_TXD_SIZE + IXGBE_TXD_STATUS_OFF;
        uint32_t status = 0;
        if (pci_dma_read(dev, at, &status, sizeof(status)) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: TX queue %u: cannot read descriptor %u\n",
                          who, index, head);
            break;
        }
        status = cpu_to_le32(le32_to_cpu(status) | IXGBE_TXD_STAT_DD);
        pci_dma_write(dev, at, &status, sizeof(status));
        head = (head + 1) % count;
        done = true;
    }
    q[IXGBE_TXQ_TDH / 4] = head;
    if (done && (q[IXGBE_TXQ_TDWBAL / 4] & 1)) {
        uint64_t wb = ((uint64_t)q[IXGBE_TXQ_TDWBAH / 4] << 32) | (q[IXGBE_TXQ_TDWBAL / 4] & ~3u);
        uint32_t le = cpu_to_le32(head);
        pci_dma_write(dev, wb, &le, sizeof(le));
    }
    return done;
}

void ixgbe_pf_tx(IxgbePfState *s, unsigned queue)
{
    uint32_t *q = &s->regs[(IXGBE_PF_TXQ_BASE + queue * IXGBE_TXQ_STRIDE) / 4];

    if (ixgbe_tx_ring_run(PCI_DEVICE(s), q, "ixgbe", queue)) {
        /* IVAR(queue / 2): Tx entry in bits 15:8 (even queue) or 31:24 (odd queue). */
        uint32_t entry = (REG(s, IXGBE_IVAR(queue / 2)) >> (16 * (queue & 1) + 8)) & 0xFF;
        if (entry & IXGBE_IVAR_VALID) {
            ixgbe_pf_raise_vector(s, entry & 0x3F);
        }
    }
}


/* ---------------------------------------------------------------------------------------- */
/* the interrupt registers */

void ixgbe_intr_reset(IxgbePfState *s)
{
    memset(s->eicr_vec, 0, sizeof(s->eicr_vec));
    memset(s->eims_vec, 0, sizeof(s->eims_vec));
    s->eicr_other = 0;
    s->eims_other = 0;
}

bool ixgbe_intr_read(IxgbePfState *s, hwaddr addr, uint32_t *val)
{
    switch (addr) {
    case IXGBE_EICR:
        *val = ixgbe_pf_eicr(s);
        s->eicr_vec[0] &= ~IXGBE_EICR_QUEUES;
        s->eicr_other = 0;
        return true;
    case IXGBE_EICS:
        *val = ixgbe_pf_eicr(s);
        return true;
    case IXGBE_EIMS:
        *val = (s->eims_vec[0] & IXGBE_EICR_QUEUES) | s->eims_other;
        return true;
    case IXGBE_EIMS_EX(0):
    case IXGBE_EIMS_EX(1):
        *val = s->eims_vec[(addr - IXGBE_EIMS_EX(0)) / 4];
        return true;
    case IXGBE_EICS_EX(0):
    case IXGBE_EICS_EX(1):
        *val = s->eicr_vec[(addr - IXGBE_EICS_EX(0)) / 4];
        return true;
    case IXGBE_EIMC:
    case IXGBE_EIMC_EX(0):
    case IXGBE_EIMC_EX(1):
        *val = 0;
        return true;
    default:
        return false;
    }
}

bool ixgbe_intr_write(IxgbePfState *s, hwaddr addr, uint32_t val)
{
    switch (addr) {
    case IXGBE_EICR:
        s->eicr_vec[0] &= ~(val & IXGBE_EICR_QUEUES);
        s->eicr_other &= ~(val & ~IXGBE_EICR_QUEUES);
        return true;
    case IXGBE_EICS:
        for (unsigned v = 0; v < 16; v++) {
            if (val & (1u << v)) {
                ixgbe_pf_raise_vector(s, v);
            }
        }
        ixgbe_pf_raise_other(s, val & ~IXGBE_EICR_QUEUES);
        return true;
    case IXGBE_EICS_EX(0):
    case IXGBE_EICS_EX(1):
        for (unsigned b = 0; b < 32; b++) {
            if (val & (1u << b)) {
                ixgbe_pf_raise_vector(s, (addr - IXGBE_EICS_EX(0)) / 4 * 32 + b);
            }
        }
        return true;
    case IXGBE_EIMS:
        ixgbe_pf_eims_set(s, val);
        return true;
    case IXGBE_EIMC:
        s->eims_vec[0] &= ~(val & IXGBE_EICR_QUEUES);
        s->eims_other &= ~(val & ~IXGBE_EICR_QUEUES);
        return true;
    case IXGBE_EIMS_EX(0):
    case IXGBE_EIMS_EX(1): {
        unsigned i = (addr - IXGBE_EIMS_EX(0)) / 4;
        s->eims_vec[i] |= val;
        ixgbe_pf_deliver_unmasked(s, i, val);
        return true;
    }
    case IXGBE_EIMC_EX(0):
    case IXGBE_EIMC_EX(1):
        s->eims_vec[(addr - IXGBE_EIMC_EX(0)) / 4] &= ~val;
        return true;
    default:
        return false;
    }
}
