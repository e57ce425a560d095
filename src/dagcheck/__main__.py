from dagcheck.cli import main

main()
