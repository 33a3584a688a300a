path "\u0000x" { capabilities = ["Read", "bogus"] }
name = "x"
extra = 1
