module devcompat

go 1.19
