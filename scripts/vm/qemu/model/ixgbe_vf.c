/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 82599 (ixgbe) for the ixgbevf-vfio test rig: the virtual function (8086:10ED),
 * created by the PF (ixgbe_pf.c) through SR-IOV. BAR0 (16 KiB) holds the VF registers, BAR3 the
 * MSI-X table (3 vectors). A PCIe function-level reset or VFCTRL.RST is reported to the PF as a
 * VFLR (VFLRE + PF mailbox cause). Transmit rings complete at once (frames dropped); nothing is
 * ever received.
 *
 * Copyright (c) 2026 the ixgbevf-vfio authors. Written for QEMU 10.0.
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pcie.h"
#include "hw/pci/pcie_aer.h"
#include "hw/pci/pcie_sriov.h"
#include "hw/pci/msix.h"
#include "migration/vmstate.h"
#include "ixgbe_model.h"

#define VREG(vf, off) ((vf)->regs[(off) / 4])

static IxgbePfState *ixgbe_vf_pf(IxgbeVfState *vf)
{
    return IXGBE_PF(pcie_sriov_get_pf(PCI_DEVICE(vf)));
}

static unsigned ixgbe_vf_index(IxgbeVfState *vf)
{
    return pcie_sriov_vf_number(PCI_DEVICE(vf));
}

/* ---------------------------------------------------------------------------------------- */
/* interrupts: 3 causes = 3 MSI-X vectors, auto-clear (VTEIAC) and auto-mask (VTEIAM) */

static void ixgbe_vf_deliver(IxgbeVfState *vf, uint32_t causes)
{
    PCIDevice *d = PCI_DEVICE(vf);

    vf->eicr &= ~(causes & VREG(vf, IXGBE_VTEIAC));
    vf->eims &= ~(causes & VREG(vf, IXGBE_VTEIAM));
    for (unsigned v = 0; v < IXGBE_VF_MSIX_VECTORS; v++) {
        if ((causes & (1u << v)) && msix_enabled(d)) {
            msix_notify(d, v);
        }
    }
}

static void ixgbe_vf_raise(IxgbeVfState *vf, uint32_t causes)
{
    causes &= IXGBE_VF_IRQ_MASK;
    vf->eicr |= causes;
    if (vf->eicr & vf->eims & causes) {
        ixgbe_vf_deliver(vf, vf->eicr & vf->eims & causes);
    }
}

/* The mailbox ("other") cause, routed through VTIVAR_MISC. */
void ixgbe_vf_raise_mailbox(IxgbePfState *pf, unsigned index)
{
    PCIDevice *d = pcie_sriov_get_vf_at_index(PCI_DEVICE(pf), index);
    IxgbeVfState *vf;
    uint32_t misc;

    if (!d) {
        return;     /* VF not enabled */
    }
    vf = IXGBE_VF(d);
    misc = VREG(vf, IXGBE_VTIVAR_MISC) & 0xFF;
    if ((misc & IXGBE_IVAR_VALID) && (misc & 0x7F) < IXGBE_VF_MSIX_VECTORS) {
        ixgbe_vf_raise(vf, 1u << (misc & 0x7F));
    }
}

static void ixgbe_vf_tx(IxgbeVfState *vf, unsigned queue)
{
    uint32_t *q = &vf->regs[(IXGBE_VF_TXQ_BASE + queue * IXGBE_TXQ_STRIDE) / 4];

    if (ixgbe_tx_ring_run(PCI_DEVICE(vf), q, "ixgbevf", queue)) {
        uint32_t entry = (VREG(vf, IXGBE_VTIVAR(queue / 2)) >> (16 * (queue & 1) + 8)) & 0xFF;
        if ((entry & IXGBE_IVAR_VALID) && (entry & 0x7F) < IXGBE_VF_MSIX_VECTORS) {
            ixgbe_vf_raise(vf, 1u << (entry & 0x7F));
        }
    }
}

/* ---------------------------------------------------------------------------------------- */
/* MMIO */

static bool ixgbe_vf_is_mbx(hwaddr addr)
{
    return addr == IXGBE_VFMAILBOX || (addr >= IXGBE_VFMBMEM && addr < IXGBE_VFMBMEM_END);
}

static uint64_t ixgbe_vf_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    IxgbeVfState *vf = opaque;
    uint32_t val;

    if (addr >= IXGBE_VF_MMIO_SIZE || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ixgbevf: bad read at 0x%" HWADDR_PRIx "\n", addr);
        return 0;
    }
    if (ixgbe_vf_is_mbx(addr)) {
        return ixgbe_mbx_vf_read(ixgbe_vf_pf(vf), ixgbe_vf_index(vf), addr);
    }
    switch (addr) {
    case IXGBE_VFSTATUS:
        return 0;
    case IXGBE_VFLINKS:
        return ixgbe_pf_links(ixgbe_vf_pf(vf));
    case IXGBE_VTEICR:
        val = vf->eicr;
        vf->eicr = 0;
        return val;
    case IXGBE_VTEICS:
        return vf->eicr;
    case IXGBE_VTEIMS:
        return vf->eims;
    case IXGBE_VTEIMC:
        return 0;
    default:
        return VREG(vf, addr);
    }
}

static void ixgbe_vf_mmio_write(void *opaque, hwaddr addr, uint64_t val64, unsigned size)
{
    IxgbeVfState *vf = opaque;
    uint32_t val = val64;

    if (addr >= IXGBE_VF_MMIO_SIZE || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ixgbevf: bad write at 0x%" HWADDR_PRIx "\n", addr);
        return;
    }
    if (ixgbe_vf_is_mbx(addr)) {
        ixgbe_mbx_vf_write(ixgbe_vf_pf(vf), ixgbe_vf_index(vf), addr, val);
        return;
    }
    if (addr >= IXGBE_VF_TXQ_BASE &&
        addr < IXGBE_VF_TXQ_BASE + IXGBE_VF_TX_QUEUES * IXGBE_TXQ_STRIDE &&
        (addr - IXGBE_VF_TXQ_BASE) % IXGBE_TXQ_STRIDE == IXGBE_TXQ_TDT) {
        VREG(vf, addr) = val;
        ixgbe_vf_tx(vf, (addr - IXGBE_VF_TXQ_BASE) / IXGBE_TXQ_STRIDE);
        return;
    }
    switch (addr) {
    case IXGBE_VFCTRL:
        if (val & IXGBE_CTRL_RST) {
            /* VF software reset: reported to the PF as a VFLR; mailbox bits untouched. */
            ixgbe_mbx_vf_reset_event(ixgbe_vf_pf(vf), ixgbe_vf_index(vf));
        }
        VREG(vf, addr) = val & ~IXGBE_CTRL_RST;
        return;
    case IXGBE_VFSTATUS:
    case IXGBE_VFLINKS:
        return;     /* read-only */
    case IXGBE_VTEICR:
        vf->eicr &= ~val;
        return;
    case IXGBE_VTEICS:
        ixgbe_vf_raise(vf, val);
        return;
    case IXGBE_VTEIMS: {
        uint32_t newly = val & IXGBE_VF_IRQ_MASK;
        vf->eims |= newly;
        if (vf->eicr & newly) {
            ixgbe_vf_deliver(vf, vf->eicr & newly);     /* pending while masked */
        }
        return;
    }
    case IXGBE_VTEIMC:
        vf->eims &= ~val;
        return;
    default:
        VREG(vf, addr) = val;
        return;
    }
}

static const MemoryRegionOps ixgbe_vf_mmio_ops = {
    .read = ixgbe_vf_mmio_read,
    .write = ixgbe_vf_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/* ---------------------------------------------------------------------------------------- */
/* PCI */

static void ixgbe_vf_write_config(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    pci_default_write_config(d, addr, val, len);
    pcie_cap_flr_write_config(d, addr, val, len);
}

/*
 * Every reset of the VF (FLR, enabling/disabling it, system reset) clears its registers. Only a
 * function-level reset is an event for the PF: QEMU keeps DEVCTL.BCR_FLR set while the reset
 * handler runs, which tells it apart from the others.
 */
static void ixgbe_vf_reset_hold(Object *obj, ResetType type)
{
    IxgbeVfState *vf = IXGBE_VF(obj);
    PCIDevice *d = PCI_DEVICE(obj);
    bool flr = d->exp.exp_cap &&
               (pci_get_word(d->config + d->exp.exp_cap + PCI_EXP_DEVCTL) & PCI_EXP_DEVCTL_BCR_FLR);

    memset(vf->regs, 0, sizeof(vf->regs));
    vf->eicr = 0;
    vf->eims = 0;
    if (flr) {
        ixgbe_mbx_vf_reset_event(ixgbe_vf_pf(vf), ixgbe_vf_index(vf));
    }
}

static void ixgbe_vf_realize(PCIDevice *d, Error **errp)
{
    IxgbeVfState *vf = IXGBE_VF(d);

    d->config_write = ixgbe_vf_write_config;
    memory_region_init_io(&vf->mmio, OBJECT(d), &ixgbe_vf_mmio_ops, vf, "ixgbevf-mmio",
                          IXGBE_VF_MMIO_SIZE);
    pcie_sriov_vf_register_bar(d, IXGBE_VF_MMIO_BAR, &vf->mmio);
    memory_region_init(&vf->msix, OBJECT(d), "ixgbevf-msix", IXGBE_VF_MSIX_SIZE);
    pcie_sriov_vf_register_bar(d, IXGBE_VF_MSIX_BAR, &vf->msix);

    if (msix_init(d, IXGBE_VF_MSIX_VECTORS, &vf->msix, IXGBE_VF_MSIX_BAR, 0, &vf->msix,
                  IXGBE_VF_MSIX_BAR, IXGBE_MSIX_PBA_OFFSET, IXGBE_CAP_MSIX, errp) < 0) {
        return;
    }
    for (unsigned v = 0; v < IXGBE_VF_MSIX_VECTORS; v++) {
        msix_vector_use(d, v);
    }
    if (pcie_endpoint_cap_init(d, IXGBE_CAP_PCIE) < 0) {
        error_setg(errp, "ixgbevf: cannot add the PCIe capability");
        goto err_msix;
    }
    pcie_cap_flr_init(d);
    if (pcie_aer_init(d, PCI_ERR_VER, IXGBE_CAP_AER, PCI_ERR_SIZEOF, errp) < 0) {
        goto err_pcie;
    }
    pcie_ari_init(d, IXGBE_CAP_ARI);
    return;

err_pcie:
    pcie_cap_exit(d);
err_msix:
    msix_unuse_all_vectors(d);
    msix_uninit(d, &vf->msix, &vf->msix);
}

static void ixgbe_vf_exit(PCIDevice *d)
{
    IxgbeVfState *vf = IXGBE_VF(d);

    pcie_aer_exit(d);
    pcie_cap_exit(d);
    msix_unuse_all_vectors(d);
    msix_uninit(d, &vf->msix, &vf->msix);
}

static const VMStateDescription ixgbe_vf_vmstate = {
    .name = "ixgbevf",
    .unmigratable = 1,
};

static void ixgbe_vf_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->realize = ixgbe_vf_realize;
    k->exit = ixgbe_vf_exit;
    k->vendor_id = IXGBE_PCI_VENDOR;
    k->device_id = IXGBE_VF_DEVICE_ID;
    k->revision = 1;
    k->class_id = PCI_CLASS_NETWORK_ETHERNET;
    rc->phases.hold = ixgbe_vf_reset_hold;
    dc->desc = "Intel 82599 Virtual Function (minimal model for driver tests)";
    dc->vmsd = &ixgbe_vf_vmstate;
    dc->user_creatable = false;
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
}

static const TypeInfo ixgbe_vf_info = {
    .name = TYPE_IXGBE_VF,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(IxgbeVfState),
    .class_init = ixgbe_vf_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void ixgbe_vf_register_types(void)
{
    type_register_static(&ixgbe_vf_info);
}

type_init(ixgbe_vf_register_types)
