"""How a benchmark boots the mesh NIC, so that two ways can be compared in
one sitting on one image: its driver inside netd (the default) or in a unit
of its own (aion.nicunit), its interrupt by MSI-X (the default) or on
the shared INTx line (aion.intx), and meshd as netd's guest in its address
space (the default) or apart (aion.apart). docs/network.md has what each
costs."""


def add_args(p):
    p.add_argument("--nic", choices=("inside", "unit"), default="inside",
                   help="the mesh NIC's driver inside netd (the default) or in a unit "
                        "of its own (aion.nicunit)")
    p.add_argument("--irq", choices=("msix", "intx"), default="msix",
                   help="the NIC's interrupt: MSI-X (the default) or its INTx line "
                        "through the I/O APIC (aion.intx)")
    p.add_argument("--space", choices=("shared", "apart"), default="shared",
                   help="meshd as netd's guest in its address space (the default) or in "
                        "an address space of its own (aion.apart)")


def words(args):
    """The kernel command line words for args.nic and args.irq."""
    return ((["aion.nicunit"] if args.nic == "unit" else []) +
            (["aion.intx"] if args.irq == "intx" else []) +
            (["aion.apart"] if args.space == "apart" else []))


def describe(args):
    return {"nic": args.nic, "irq": args.irq, "space": args.space}
