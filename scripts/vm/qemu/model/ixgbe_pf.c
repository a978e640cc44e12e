/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 82599 10GbE (KX4 backplane, 8086:10F7) with SR-IOV, for the ixgbevf-vfio test
 * rig: the physical function. Enough of the device for the stock Linux ixgbe driver to probe it,
 * bring the link up at 10 Gb/s, enable up to 8 VFs (8086:10ED, ixgbe_vf.c) and talk to them over
 * the mailbox (ixgbe_mbx.c). This file: PCI/SR-IOV/MSI-X plumbing, the PF register file, EEPROM,
 * resets. Interrupts and the minimal TX path are in ixgbe_intr.c. See README.md for what is
 * modelled.
 *
 * Copyright (c) 2026 the ixgbevf-vfio authors. Written for QEMU 10.0.
 */
#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pcie.h"
#include "hw/pci/pcie_aer.h"
#include "hw/pci/pcie_sriov.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "net/net.h"
#include "ixgbe_model.h"

#define REG(s, off) ((s)->regs[(off) / 4])
/* ---------------------------------------------------------------------------------------- */
/* link */

uint32_t ixgbe_pf_links(IxgbePfState *s)
{
    return IXGBE_LINKS_UP_10G;
}

/* ---------------------------------------------------------------------------------------- */
/* EEPROM and resets */

static void ixgbe_pf_eeprom_init(IxgbePfState *s)
{
    uint16_t sum = 0;

    for (unsigned i = 0; i < IXGBE_EEPROM_WORDS; i++) {
        s->eeprom[i] = 0xFFFF;  /* every section pointer invalid */
    }
    for (unsigned i = 0; i < IXGBE_EEPROM_CHECKSUM; i++) {
        sum += s->eeprom[i];
    }
    s->eeprom[IXGBE_EEPROM_CHECKSUM] = (uint16_t)(IXGBE_EEPROM_SUM - sum);
}

static void ixgbe_pf_load_mac(IxgbePfState *s)
{
    const uint8_t *a = s->conf.macaddr.a;

    REG(s, IXGBE_RAL0) = a[0] | (a[1] << 8) | (a[2] << 16) | ((uint32_t)a[3] << 24);
    REG(s, IXGBE_RAH0) = a[4] | (a[5] << 8) | IXGBE_RAH_AV;
}

/* CTRL.RST: MAC address reloaded, interrupts cleared and masked, every VF mailbox in reset. */
static void ixgbe_pf_soft_reset(IxgbePfState *s)
{
    ixgbe_intr_reset(s);
    REG(s, IXGBE_CTRL_EXT) &= ~IXGBE_CTRL_EXT_PFRSTD;
    ixgbe_pf_load_mac(s);
    ixgbe_mbx_pf_reset(s);
}

/* Power-on / PCI reset: every register at its reset value. */
static void ixgbe_pf_reset_hold(Object *obj, ResetType type)
{
    IxgbePfState *s = IXGBE_PF(obj);

    memset(s->regs, 0, sizeof(s->regs));
    REG(s, IXGBE_AUTOC) = IXGBE_AUTOC_RESET;
    REG(s, IXGBE_RXPBSIZE(0)) = IXGBE_RXPBSIZE_RESET;
    REG(s, IXGBE_TXPBSIZE(0)) = IXGBE_TXPBSIZE_RESET;
    ixgbe_pf_eeprom_init(s);
    ixgbe_pf_soft_reset(s);
}

/* ---------------------------------------------------------------------------------------- */
/* MMIO */

static bool ixgbe_is_txq_reg(hwaddr addr, hwaddr which, unsigned *queue)
{
    if (addr < IXGBE_PF_TXQ_BASE ||
        addr >= IXGBE_PF_TXQ_BASE + IXGBE_PF_TX_QUEUES * IXGBE_TXQ_STRIDE ||
        (addr - IXGBE_PF_TXQ_BASE) % IXGBE_TXQ_STRIDE != which) {
        return false;
    }
    *queue = (addr - IXGBE_PF_TXQ_BASE) / IXGBE_TXQ_STRIDE;
    return true;
}

static uint64_t ixgbe_pf_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    IxgbePfState *s = opaque;
    uint32_t val;

    if (addr >= IXGBE_PF_MMIO_SIZE || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ixgbe: bad read at 0x%" HWADDR_PRIx "\n", addr);
        return 0;
    }
    if (ixgbe_mbx_pf_read(s, addr, &val) || ixgbe_intr_read(s, addr, &val)) {
        return val;
    }
    switch (addr) {
    case IXGBE_STATUS:
        return 0;   /* GIO master disable completes at once; LAN ID 0 */
    case IXGBE_EEC:
        val = REG(s, IXGBE_EEC) & 0x7F;
        return val | IXGBE_EEC_PRES | IXGBE_EEC_ARD | IXGBE_EEC_SIZE_2K |
               ((val & IXGBE_EEC_REQ) ? IXGBE_EEC_GNT : 0);
    case IXGBE_SWSM:
        val = REG(s, IXGBE_SWSM);
        REG(s, IXGBE_SWSM) |= IXGBE_SWSM_SMBI;     /* the read takes the semaphore */
        return val;
    case IXGBE_FWSM:
        return IXGBE_FWSM_FW_VALID;
    case IXGBE_MSRWD:
        return IXGBE_MSRWD_NO_PHY | (REG(s, IXGBE_MSRWD) & 0xFFFF);
    case IXGBE_LINKS:
        return ixgbe_pf_links(s);
    case IXGBE_LINKS2:
        return IXGBE_LINKS2_AN_SUPPORTED;
    case IXGBE_ANLP1:
        return IXGBE_ANLP1_VALUE;
    case IXGBE_SECTXSTAT:
    case IXGBE_SECRXSTAT:
        return IXGBE_SEC_RDY_OFF_DIS;
    case IXGBE_FDIRCTRL:
        return REG(s, IXGBE_FDIRCTRL) | IXGBE_FDIRCTRL_INIT_DONE;
    case IXGBE_RDRXCTL:
        return REG(s, IXGBE_RDRXCTL) | IXGBE_RDRXCTL_DMAIDONE;
    default:
        return REG(s, addr);    /* plain storage; statistics are never written, so read 0 */
    }
}

static void ixgbe_pf_eeprom_access(IxgbePfState *s, hwaddr reg, uint32_t val)
{
    unsigned word = (val >> IXGBE_EERW_ADDR_SHIFT) & IXGBE_EERW_ADDR_MASK;

    if (!(val & IXGBE_EERW_START)) {
        REG(s, reg) = val;
        return;
    }
    if (word >= IXGBE_EEPROM_WORDS) {
        qemu_log_mask(LOG_GUEST_ERROR, "ixgbe: EEPROM word 0x%x out of range\n", word);
        REG(s, reg) = (0xFFFFu << IXGBE_EERW_DATA_SHIFT) | (val & 0xFFFC) | IXGBE_EERW_DONE;
        return;
    }
    if (reg == IXGBE_EEWR) {
        s->eeprom[word] = val >> IXGBE_EERW_DATA_SHIFT;
    }
    REG(s, reg) = ((uint32_t)s->eeprom[word] << IXGBE_EERW_DATA_SHIFT) |
                  (word << IXGBE_EERW_ADDR_SHIFT) | IXGBE_EERW_DONE;
}

static void ixgbe_pf_mmio_write(void *opaque, hwaddr addr, uint64_t val64, unsigned size)
{
    IxgbePfState *s = opaque;
    uint32_t val = val64;
    unsigned queue;

    if (addr >= IXGBE_PF_MMIO_SIZE || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ixgbe: bad write at 0x%" HWADDR_PRIx "\n", addr);
        return;
    }
    if (ixgbe_mbx_pf_write(s, addr, val) || ixgbe_intr_write(s, addr, val)) {
        return;
    }
    if (ixgbe_is_txq_reg(addr, IXGBE_TXQ_TDT, &queue)) {
        REG(s, addr) = val;
        ixgbe_pf_tx(s, queue);
        return;
    }
    switch (addr) {
    case IXGBE_CTRL:
        if (val & IXGBE_CTRL_RST) {
            ixgbe_pf_soft_reset(s);
            REG(s, IXGBE_CTRL) = 0;
        } else {
            REG(s, IXGBE_CTRL) = val & ~IXGBE_CTRL_LNK_RST;   /* link reset completes at once */
        }
        return;
    case IXGBE_CTRL_EXT:
        REG(s, IXGBE_CTRL_EXT) = val;
        if (val & IXGBE_CTRL_EXT_PFRSTD) {
            ixgbe_mbx_pf_reset_done(s);
        }
        return;
    case IXGBE_STATUS:
    case IXGBE_FWSM:
    case IXGBE_LINKS:
    case IXGBE_LINKS2:
    case IXGBE_ANLP1:
    case IXGBE_SECTXSTAT:
    case IXGBE_SECRXSTAT:
        return;     /* read-only */
    case IXGBE_EERD:
    case IXGBE_EEWR:
        ixgbe_pf_eeprom_access(s, addr, val);
        return;
    case IXGBE_MSCA:
        REG(s, IXGBE_MSCA) = val & ~IXGBE_MSCA_MDI_CMD;     /* MDI command completes at once */
        return;
    case IXGBE_AUTOC:
        REG(s, IXGBE_AUTOC) = val & ~IXGBE_AUTOC_AN_RESTART;
        return;
    case IXGBE_FDIRCMD:
        REG(s, IXGBE_FDIRCMD) = val & ~IXGBE_FDIRCMD_CMD_MASK;
        return;
    default:
        REG(s, addr) = val;
        return;
    }
}

static const MemoryRegionOps ixgbe_pf_mmio_ops = {
    .read = ixgbe_pf_mmio_read,
    .write = ixgbe_pf_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/* ---------------------------------------------------------------------------------------- */
/* network backend: nothing is ever received (frames from the peer are accepted and dropped) */

static bool ixgbe_nc_can_receive(NetClientState *nc)
{
    return true;
}

static ssize_t ixgbe_nc_receive(NetClientState *nc, const uint8_t *buf, size_t size)
{
    return size;
}

static NetClientInfo ixgbe_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .can_receive = ixgbe_nc_can_receive,
    .receive = ixgbe_nc_receive,
};

/* ---------------------------------------------------------------------------------------- */
/* PCI */

static void ixgbe_pf_realize(PCIDevice *pci, Error **errp)
{
    IxgbePfState *s = IXGBE_PF(pci);
    DeviceState *dev = DEVICE(pci);
    uint8_t vf_bar = PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH;

    pci->config[PCI_CACHE_LINE_SIZE] = 0x10;
    pci->config[PCI_INTERRUPT_PIN] = 1;

    memory_region_init_io(&s->mmio, OBJECT(s), &ixgbe_pf_mmio_ops, s, "ixgbe-mmio",
                          IXGBE_PF_MMIO_SIZE);
    pci_register_bar(pci, IXGBE_PF_MMIO_BAR,
                     PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_64, &s->mmio);
    memory_region_init(&s->msix, OBJECT(s), "ixgbe-msix", IXGBE_PF_MSIX_SIZE);
    pci_register_bar(pci, IXGBE_PF_MSIX_BAR,
                     PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_64, &s->msix);

    if (pcie_endpoint_cap_init(pci, IXGBE_CAP_PCIE) < 0) {
        error_setg(errp, "ixgbe: cannot add the PCIe capability");
        return;
    }
    if (msix_init(pci, IXGBE_PF_MSIX_VECTORS, &s->msix, IXGBE_PF_MSIX_BAR, 0, &s->msix,
                  IXGBE_PF_MSIX_BAR, IXGBE_MSIX_PBA_OFFSET, IXGBE_CAP_MSIX, errp) < 0) {
        goto err_pcie;
    }
    for (unsigned v = 0; v < IXGBE_PF_MSIX_VECTORS; v++) {
        msix_vector_use(pci, v);
    }
    if (pcie_aer_init(pci, PCI_ERR_VER, IXGBE_CAP_AER, PCI_ERR_SIZEOF, errp) < 0) {
        goto err_msix;
    }
    pcie_ari_init(pci, IXGBE_CAP_ARI);

    /*
     * QEMU 10.0 realizes the VFs inside pcie_sriov_pf_init() and each VF copies its BAR types
     * from vf_bar_type[] at that moment: declare the 64-bit VF BARs first.
     */
    pci->exp.sriov_pf.vf_bar_type[IXGBE_VF_MMIO_BAR] = vf_bar;
    pci->exp.sriov_pf.vf_bar_type[IXGBE_VF_MSIX_BAR] = vf_bar;
    if (!pcie_sriov_pf_init(pci, IXGBE_CAP_SRIOV, TYPE_IXGBE_VF, IXGBE_VF_DEVICE_ID,
                            IXGBE_MAX_VFS, IXGBE_MAX_VFS, IXGBE_VF_OFFSET, IXGBE_VF_STRIDE,
                            errp)) {
        goto err_aer;
    }
    pcie_sriov_pf_init_vf_bar(pci, IXGBE_VF_MMIO_BAR, vf_bar, IXGBE_VF_MMIO_SIZE);
    pcie_sriov_pf_init_vf_bar(pci, IXGBE_VF_MSIX_BAR, vf_bar, IXGBE_VF_MSIX_SIZE);

    if (!ixgbe_trace_open(s, errp)) {
        goto err_sriov;
    }
    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    s->nic = qemu_new_nic(&ixgbe_net_info, &s->conf, object_get_typename(OBJECT(s)), dev->id,
                          &dev->mem_reentrancy_guard, s);
    qemu_format_nic_info_str(qemu_get_queue(s->nic), s->conf.macaddr.a);
    ixgbe_pf_eeprom_init(s);
    return;

err_sriov:
    pcie_sriov_pf_exit(pci);
err_aer:
    pcie_aer_exit(pci);
err_msix:
    msix_unuse_all_vectors(pci);
    msix_uninit(pci, &s->msix, &s->msix);
err_pcie:
    pcie_cap_exit(pci);
}

static void ixgbe_pf_exit(PCIDevice *pci)
{
    IxgbePfState *s = IXGBE_PF(pci);

    ixgbe_trace_close(s);
    qemu_del_nic(s->nic);
    pcie_sriov_pf_exit(pci);
    pcie_aer_exit(pci);
    msix_unuse_all_vectors(pci);
    msix_uninit(pci, &s->msix, &s->msix);
    pcie_cap_exit(pci);
}

static const VMStateDescription ixgbe_pf_vmstate = {
    .name = "ixgbe",
    .unmigratable = 1,
};

static const Property ixgbe_pf_properties[] = {
    DEFINE_NIC_PROPERTIES(IxgbePfState, conf),
    DEFINE_PROP_STRING("mbx-trace", IxgbePfState, trace_path),
    DEFINE_PROP_BOOL("mbx-trace-regs", IxgbePfState, trace_regs, false),
};

static void ixgbe_pf_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->realize = ixgbe_pf_realize;
    k->exit = ixgbe_pf_exit;
    k->vendor_id = IXGBE_PCI_VENDOR;
    k->device_id = IXGBE_PF_DEVICE_ID;
    k->revision = 1;
    k->class_id = PCI_CLASS_NETWORK_ETHERNET;
    k->subsystem_vendor_id = IXGBE_PCI_VENDOR;
    k->subsystem_id = IXGBE_SUBSYS_ID;
    rc->phases.hold = ixgbe_pf_reset_hold;
    dc->desc = "Intel 82599 10GbE KX4 with SR-IOV (minimal model for driver tests)";
    dc->vmsd = &ixgbe_pf_vmstate;
    device_class_set_props(dc, ixgbe_pf_properties);
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
}

static const TypeInfo ixgbe_pf_info = {
    .name = TYPE_IXGBE_PF,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(IxgbePfState),
    .class_init = ixgbe_pf_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void ixgbe_pf_register_types(void)
{
    type_register_static(&ixgbe_pf_info);
}

type_init(ixgbe_pf_register_types)
