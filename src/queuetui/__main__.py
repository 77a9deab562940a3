from queuetui.cli import main

main()
