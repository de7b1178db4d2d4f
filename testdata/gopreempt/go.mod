module gopreempt

go 1.21
