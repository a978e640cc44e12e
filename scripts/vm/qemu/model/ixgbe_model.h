/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 82599 (ixgbe) with SR-IOV for the ixgbevf-vfio test rig: the state shared by
 * the PF device (ixgbe_pf.c), its interrupts and TX (ixgbe_intr.c), the VF device (ixgbe_vf.c)
 * and the mailbox (ixgbe_mbx.c).
 */
#ifndef HW_NET_IXGBE_MODEL_H
#define HW_NET_IXGBE_MODEL_H

#include "hw/pci/pci_device.h"
#include "net/net.h"
#include "qom/object.h"
#include "ixgbe_regs.h"

#define TYPE_IXGBE_PF "ixgbe"
#define TYPE_IXGBE_VF "ixgbevf"

/* One VF's mailbox: the VFMAILBOX/PFMAILBOX bits, the PF-side causes and the 16 shared words. */
typedef struct IxgbeMbx {
    bool vfu;       /* VF holds the buffer */
    bool pfu;       /* PF holds the buffer */
    bool pfsts;     /* PF wrote a message (read-to-clear on the VF side) */
    bool pfack;     /* PF acknowledged (read-to-clear) */
    bool rsti;      /* PF reset in progress (level) */
    bool rstd;      /* PF reset done (read-to-clear) */
    bool vfreq;     /* MBVFICR request bit */
    bool vfack;     /* MBVFICR ack bit */
    bool vflre;     /* VFLRE: function reset of this VF not yet seen by the PF */
    uint32_t mem[IXGBE_MBX_WORDS];
} IxgbeMbx;

OBJECT_DECLARE_SIMPLE_TYPE(IxgbePfState, IXGBE_PF)

struct IxgbePfState {
    PCIDevice parent_obj;
    NICState *nic;
    NICConf conf;
    MemoryRegion mmio;
    MemoryRegion msix;

    uint32_t regs[IXGBE_PF_MMIO_SIZE / 4];  /* plain storage behind the special registers */
    uint16_t eeprom[IXGBE_EEPROM_WORDS];
    uint32_t eicr_vec[2];   /* MSI-X vector causes 0..63 (EICR 15:0 mirrors 0..15) */
    uint32_t eims_vec[2];
    uint32_t eicr_other;    /* EICR 31:16 ("other" causes: mailbox, LSC, ...) */
    uint32_t eims_other;
    IxgbeMbx mbx[IXGBE_MAX_VFS];

    char *trace_path;       /* property mbx-trace: append one line per mailbox message */
    bool trace_regs;        /* property mbx-trace-regs: also every VF mailbox register access */
    FILE *trace;
};

OBJECT_DECLARE_SIMPLE_TYPE(IxgbeVfState, IXGBE_VF)

struct IxgbeVfState {
    PCIDevice parent_obj;
    MemoryRegion mmio;
    MemoryRegion msix;
    uint32_t regs[IXGBE_VF_MMIO_SIZE / 4];
    uint32_t eicr;
    uint32_t eims;
};

/* ixgbe_pf.c */
uint32_t ixgbe_pf_links(IxgbePfState *s);

/* ixgbe_intr.c */
void ixgbe_pf_raise_other(IxgbePfState *s, uint32_t causes);
void ixgbe_pf_tx(IxgbePfState *s, unsigned queue);
bool ixgbe_tx_ring_run(PCIDevice *dev, uint32_t *q, const char *who, unsigned index);
void ixgbe_intr_reset(IxgbePfState *s);
bool ixgbe_intr_read(IxgbePfState *s, hwaddr addr, uint32_t *val);
bool ixgbe_intr_write(IxgbePfState *s, hwaddr addr, uint32_t val);

/* ixgbe_vf.c */
void ixgbe_vf_raise_mailbox(IxgbePfState *pf, unsigned vf);

/* ixgbe_mbx.c */
void ixgbe_mbx_pf_reset(IxgbePfState *s);
void ixgbe_mbx_pf_reset_done(IxgbePfState *s);
void ixgbe_mbx_vf_reset_event(IxgbePfState *s, unsigned vf);
bool ixgbe_mbx_pf_read(IxgbePfState *s, hwaddr addr, uint32_t *val);
bool ixgbe_mbx_pf_write(IxgbePfState *s, hwaddr addr, uint32_t val);
uint32_t ixgbe_mbx_vf_read(IxgbePfState *s, unsigned vf, hwaddr addr);
void ixgbe_mbx_vf_write(IxgbePfState *s, unsigned vf, hwaddr addr, uint32_t val);
bool ixgbe_trace_open(IxgbePfState *s, Error **errp);
void ixgbe_trace_close(IxgbePfState *s);

#endif
