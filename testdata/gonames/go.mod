module gonames

go 1.21
