package arm64

// dczid reads DCZID_EL0, which EL0 may read: bits 0-3 are log2 of the DC
// ZVA block size in words, bit 4 (DZP) says DC ZVA is prohibited.
func dczid() uint64

func init() {
	if v := dczid(); v&0x10 == 0 {
		ZVABlockSize = 4 << (v & 0xf)
	}
}
