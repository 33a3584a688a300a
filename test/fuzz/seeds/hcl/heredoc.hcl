rules = <<EOT
path "a" { capabilities = ["read"] }
EOT
indented = <<-EOT
    line one
      line two
    EOT
a "b" "c" { d = [1, -2, 3.5, true, false, "x\ty\n\"\\"] }
// done
