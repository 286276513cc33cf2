print("duplexd")
