/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulated Intel 82599 (ixgbe) for the ixgbevf-vfio test rig: register offsets and bits.
 *
 * Offsets and bit values are the 82599's, as the Linux ixgbe/ixgbevf drivers use them
 * (facts only; the names here are this model's own).
 */
#ifndef HW_NET_IXGBE_REGS_H
#define HW_NET_IXGBE_REGS_H

/* ---- sizes ---- */
#define IXGBE_MAX_VFS           8
#define IXGBE_PF_MMIO_SIZE      (128 * 1024)
#define IXGBE_PF_MSIX_SIZE      (16 * 1024)
#define IXGBE_PF_MSIX_VECTORS   64
#define IXGBE_VF_MMIO_SIZE      (16 * 1024)
#define IXGBE_VF_MSIX_SIZE      (16 * 1024)
#define IXGBE_VF_MSIX_VECTORS   3
#define IXGBE_EEPROM_WORDS      2048
#define IXGBE_MBX_WORDS         16
#define IXGBE_PF_TX_QUEUES      128
#define IXGBE_VF_TX_QUEUES      8

/* ---- PCI ---- */
#define IXGBE_PCI_VENDOR        0x8086
#define IXGBE_PF_DEVICE_ID      0x10F7  /* 82599 KX4 backplane */
#define IXGBE_VF_DEVICE_ID      0x10ED  /* 82599 virtual function */
#define IXGBE_SUBSYS_ID         0x000A
#define IXGBE_CAP_MSIX          0x70
#define IXGBE_CAP_PCIE          0xA0
#define IXGBE_CAP_AER           0x100
#define IXGBE_CAP_ARI           0x150
#define IXGBE_CAP_SRIOV         0x160
#define IXGBE_VF_OFFSET         0x80
#define IXGBE_VF_STRIDE         2
#define IXGBE_PF_MMIO_BAR       0
#define IXGBE_PF_MSIX_BAR       4
#define IXGBE_VF_MMIO_BAR       0
#define IXGBE_VF_MSIX_BAR       3
#define IXGBE_MSIX_PBA_OFFSET   0x2000

/* ---- PF: general ---- */
#define IXGBE_CTRL              0x00000
#define   IXGBE_CTRL_GIO_DIS    0x00000004
#define   IXGBE_CTRL_LNK_RST    0x00000008
#define   IXGBE_CTRL_RST        0x04000000
#define IXGBE_STATUS            0x00008
#define IXGBE_CTRL_EXT          0x00018
#define   IXGBE_CTRL_EXT_PFRSTD 0x00004000

/* ---- PF: interrupts ---- */
#define IXGBE_EICR              0x00800
#define IXGBE_EICS              0x00808
#define IXGBE_EIAC              0x00810
#define IXGBE_EIMS              0x00880
#define IXGBE_EIMC              0x00888
#define IXGBE_EIAM              0x00890
#define IXGBE_GPIE              0x00898
#define   IXGBE_GPIE_EIAME      0x40000000
#define IXGBE_IVAR(i)           (0x00900 + 4 * (i))
#define IXGBE_IVAR_MISC         0x00A00
#define   IXGBE_IVAR_VALID      0x80
#define IXGBE_EICS_EX(i)        (0x00A90 + 4 * (i))
#define IXGBE_EIMS_EX(i)        (0x00AA0 + 4 * (i))
#define IXGBE_EIMC_EX(i)        (0x00AB0 + 4 * (i))
#define IXGBE_EIAM_EX(i)        (0x00AD0 + 4 * (i))
#define IXGBE_EICR_QUEUES       0x0000FFFF  /* MSI-X mode: vectors 0..15 */
#define IXGBE_EICR_MAILBOX      0x00080000
#define IXGBE_EICR_LSC          0x00100000

/* ---- PF: NVM, semaphores ---- */
#define IXGBE_EEC               0x10010
#define   IXGBE_EEC_REQ         0x00000040
#define   IXGBE_EEC_GNT         0x00000080
#define   IXGBE_EEC_PRES        0x00000100
#define   IXGBE_EEC_ARD         0x00000200
#define   IXGBE_EEC_SIZE_2K     (5u << 11)  /* 1 << (5 + 6) = 2048 words */
#define IXGBE_EERD              0x10014
#define IXGBE_EEWR              0x10018
#define   IXGBE_EERW_START      0x00000001
#define   IXGBE_EERW_DONE       0x00000002
#define   IXGBE_EERW_ADDR_SHIFT 2
#define   IXGBE_EERW_ADDR_MASK  0x3FFF
#define   IXGBE_EERW_DATA_SHIFT 16
#define IXGBE_SWSM              0x10140
#define   IXGBE_SWSM_SMBI       0x00000001
#define IXGBE_FWSM              0x10148
#define   IXGBE_FWSM_FW_VALID   0x00008000
#define IXGBE_GSSR              0x10160
#define IXGBE_EEPROM_CHECKSUM   0x3F
#define IXGBE_EEPROM_SUM        0xBABA

/* ---- PF: MAC / link ---- */
#define IXGBE_MSCA              0x0425C
#define   IXGBE_MSCA_MDI_CMD    0x40000000
#define IXGBE_MSRWD             0x04260
#define   IXGBE_MSRWD_NO_PHY    0xFFFF0000  /* read data (31:16) of an absent PHY */
#define IXGBE_AUTOC             0x042A0
#define   IXGBE_AUTOC_AN_RESTART 0x00001000
#define   IXGBE_AUTOC_RESET     0xC0008000  /* KX4_SUPP | KX_SUPP | LMS = KX4/KX/KR */
#define IXGBE_LINKS             0x042A4
#define   IXGBE_LINKS_UP_10G    0xF0000000  /* KX_AN_COMP | UP | speed 10G */
#define IXGBE_AUTOC2            0x042A8
#define IXGBE_ANLP1             0x042B0
#define   IXGBE_ANLP1_VALUE     0x00010C00  /* AN state 1, partner symmetric + asymmetric pause */
#define IXGBE_LINKS2            0x04324
#define   IXGBE_LINKS2_AN_SUPPORTED 0x00000040

/* ---- PF: misc blocks with status bits ---- */
#define IXGBE_RDRXCTL           0x02F00
#define   IXGBE_RDRXCTL_DMAIDONE 0x00000008
#define IXGBE_RXPBSIZE(i)       (0x03C00 + 4 * (i))
#define   IXGBE_RXPBSIZE_RESET  0x00080000  /* 512 KB */
#define IXGBE_TXPBSIZE(i)       (0x0CC00 + 4 * (i))
#define   IXGBE_TXPBSIZE_RESET  0x00028000  /* 160 KB */
#define IXGBE_SECTXSTAT         0x08804
#define IXGBE_SECRXSTAT         0x08D04
#define   IXGBE_SEC_RDY_OFF_DIS 0x00000003  /* ready + offload disabled */
#define IXGBE_FDIRCTRL          0x0EE00
#define   IXGBE_FDIRCTRL_INIT_DONE 0x00000008
#define IXGBE_FDIRCMD           0x0EE2C
#define   IXGBE_FDIRCMD_CMD_MASK 0x00000003
#define IXGBE_RAL0              0x05400
#define IXGBE_RAH0              0x05404
#define   IXGBE_RAH_AV          0x80000000

/* ---- PF: transmit queues (0..127), offsets inside a queue's 0x40 block ---- */
#define IXGBE_PF_TXQ_BASE       0x06000
#define IXGBE_TXQ_STRIDE        0x40
#define IXGBE_TXQ_TDBAL         0x00
#define IXGBE_TXQ_TDBAH         0x04
#define IXGBE_TXQ_TDLEN         0x08
#define   IXGBE_TDLEN_MASK      0x000FFF80  /* bits 19:7: at most 65535 descriptors */
#define IXGBE_TXQ_TDH           0x10
#define IXGBE_TXQ_TDT           0x18
#define IXGBE_TXQ_TXDCTL        0x28
#define   IXGBE_TXDCTL_ENABLE   0x02000000
#define IXGBE_TXQ_TDWBAL        0x38
#define IXGBE_TXQ_TDWBAH        0x3C
#define IXGBE_TXD_SIZE          16
#define IXGBE_TXD_STATUS_OFF    12          /* status dword of both descriptor formats */
#define IXGBE_TXD_STAT_DD       0x00000001

/* ---- PF: SR-IOV mailbox ---- */
#define IXGBE_PFMAILBOX(vf)     (0x04B00 + 4 * (vf))
#define IXGBE_PFMAILBOX_END     IXGBE_PFMAILBOX(64)
#define   IXGBE_PFMAILBOX_STS   0x00000001
#define   IXGBE_PFMAILBOX_ACK   0x00000002
#define   IXGBE_PFMAILBOX_VFU   0x00000004
#define   IXGBE_PFMAILBOX_PFU   0x00000008
#define   IXGBE_PFMAILBOX_RVFU  0x00000010
#define IXGBE_PFMBMEM(vf)       (0x13000 + 64 * (vf))
#define IXGBE_PFMBMEM_END       IXGBE_PFMBMEM(64)
#define IXGBE_MBVFICR(i)        (0x00710 + 4 * (i))   /* i = vf / 16 */
#define IXGBE_MBVFICR_END       IXGBE_MBVFICR(4)
#define   IXGBE_MBVFICR_ACK_SHIFT 16
#define IXGBE_VFLRE0            0x00600
#define IXGBE_VFLRE1            0x001C0
#define IXGBE_VFLREC(i)         (0x00700 + 4 * (i))

/* ---- VF BAR0 ---- */
#define IXGBE_VFCTRL            0x0000
#define IXGBE_VFSTATUS          0x0008
#define IXGBE_VFLINKS           0x0010
#define IXGBE_VTEICR            0x0100
#define IXGBE_VTEICS            0x0104
#define IXGBE_VTEIMS            0x0108
#define IXGBE_VTEIMC            0x010C
#define IXGBE_VTEIAC            0x0110
#define IXGBE_VTEIAM            0x0114
#define IXGBE_VTIVAR(i)         (0x0120 + 4 * (i))
#define IXGBE_VTIVAR_MISC       0x0140
#define IXGBE_VFMBMEM           0x0200
#define IXGBE_VFMBMEM_END       (IXGBE_VFMBMEM + 4 * IXGBE_MBX_WORDS)
#define IXGBE_VFMAILBOX         0x02FC
#define   IXGBE_VFMAILBOX_REQ   0x00000001
#define   IXGBE_VFMAILBOX_ACK   0x00000002
#define   IXGBE_VFMAILBOX_VFU   0x00000004
#define   IXGBE_VFMAILBOX_PFU   0x00000008
#define   IXGBE_VFMAILBOX_PFSTS 0x00000010
#define   IXGBE_VFMAILBOX_PFACK 0x00000020
#define   IXGBE_VFMAILBOX_RSTI  0x00000040
#define   IXGBE_VFMAILBOX_RSTD  0x00000080
#define IXGBE_VF_TXQ_BASE       0x2000
#define IXGBE_VF_IRQ_MASK       0x7

#endif
